//! No input makes the loader panic, and every refusal points at `keyrot.yaml:LINE:COL`.

use std::path::Path;

use keyrot::config::{ConfigError, load_bytes};
use proptest::prelude::*;

use crate::harness::EXAMPLE;

/// Loads `bytes`; an error must be a located diagnostic list, each line `keyrot.yaml:L:C: …`.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    match load_bytes("keyrot.yaml", bytes, Path::new(".")) {
        Ok(_) => Ok(()),
        Err(ConfigError::Invalid { diagnostics, .. }) => {
            prop_assert!(!diagnostics.is_empty());
            for diagnostic in &diagnostics {
                prop_assert!(diagnostic.line >= 1 && diagnostic.column >= 1);
                prop_assert!(!diagnostic.message.is_empty());
            }
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("unlocated error: {other}"))),
    }
}

/// One edit of a document: delete a range, insert bytes, duplicate a line, or swap two lines.
#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    DuplicateLine { line: usize },
    SwapLines { first: usize, second: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let insertable = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            b": ".to_vec(),
            b"\n  ".to_vec(),
            b"- ".to_vec(),
            b"&a ".to_vec(),
            b"*a".to_vec(),
            b"<<: *a\n".to_vec(),
            b"{".to_vec(),
            b"[".to_vec(),
            b"\"".to_vec(),
            b"!!binary ".to_vec(),
            b"\t".to_vec(),
            b"---\n".to_vec(),
            b"99999999999999999999".to_vec(),
            b"-1".to_vec(),
            b"1e309".to_vec(),
            b".nan".to_vec(),
            "é".as_bytes().to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), insertable).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>())
            .prop_map(|(first, second)| Mutation::SwapLines { first, second }),
    ]
}

fn apply(document: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Delete { at, len } => {
            let start = at % (document.len() + 1);
            let end = (start + len).min(document.len());
            document.drain(start..end);
        }
        Mutation::Insert { at, bytes } => {
            let at = at % (document.len() + 1);
            document.splice(at..at, bytes.iter().copied());
        }
        Mutation::DuplicateLine { line } => {
            let mut lines = split_lines(document);
            let line = line % lines.len();
            lines.insert(line, lines[line].clone());
            *document = lines.concat();
        }
        Mutation::SwapLines { first, second } => {
            let mut lines = split_lines(document);
            let count = lines.len();
            lines.swap(first % count, second % count);
            *document = lines.concat();
        }
    }
}

fn split_lines(document: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = document
        .split_inclusive(|byte| *byte == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    lines
}

proptest! {
    // No failure persistence: a failing case is printed, never saved into tests/.
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes)?;
    }

    #[test]
    fn random_text_never_panics(text in "[ -~\n\t]{0,300}") {
        check(text.as_bytes())?;
    }

    #[test]
    fn mutated_examples_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut document = EXAMPLE.as_bytes().to_vec();
        for mutation in &mutations {
            apply(&mut document, mutation);
        }
        check(&document)?;
    }
}

#[test]
fn deeply_nested_input_is_refused_not_overflowed() {
    let deep = format!(
        "version: 1\ncloudflare: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(load_bytes("keyrot.yaml", deep.as_bytes(), Path::new(".")).is_err());
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut bomb = String::from("version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 0..12 {
        let previous = if level == 0 {
            "a".to_owned()
        } else {
            format!("l{}", level - 1)
        };
        bomb.push_str(&format!(
            "l{level}: &l{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
        ));
    }
    assert!(load_bytes("keyrot.yaml", bomb.as_bytes(), Path::new(".")).is_err());
}
