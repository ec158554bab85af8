//! A vendor registered only in tests, with every part a vendor gives keyrot, in the order of
//! the checklist in docs/architecture.md: if a part is added to [`Registration`] or a seam
//! grows a method, this folder stops compiling until it is filled, as a new vendor's would.
//! Its API is a map in memory (seeded from `ACME_KEYS`), so the test below runs every part
//! without a network: the file's section, validation, the schema, planning, a rotation that
//! issues a secret, the simulator and the importer.

mod import;
mod provider;
mod sandbox;
mod section;

use super::Vendor;
use super::registry::Registration;

/// Acme: API keys whose rotation issues a new secret.
pub const VENDOR: Vendor = Vendor {
    key: "acme",
    title: "Acme",
    section: "keys",
    kind: "api_key",
    noun: "key",
    counted_as: "Acme key",
    rotate_label: "rotate key",
    short_id: super::whole_id,
    gap_risk: "revokes a secret issued only just now",
    last_rotation_attribute: "issued_at",
    interval_attribute: None,
    expiry: None,
    changed_attribute: None,
    shared_budget: None,
};

/// What keyrot takes from this folder.
pub const REGISTRATION: Registration = Registration {
    vendor: &VENDOR,
    provider: provider::configured,
    import: import::IMPORTER,
    sandbox: sandbox::SimulatedAcme::seeded,
};

pub(crate) use section::FileSection;

/// A vendor list of Acme alone, as `vendor::registry` lists the real ones.
mod only_acme {
    use super::super::registry::{Registration, registered};
    use super::super::{Vendor, acme};
    use crate::config::block::block;
    use crate::config::section::{Section, SectionSchema, Sections, ValidatedSection};
    use crate::config::validate::Checker;
    use std::path::Path;

    registered!(acme);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::Timestamp;

    use super::only_acme::{FileSections, REGISTERED, VENDORS};
    use crate::config::load::load_sections;
    use crate::config::schema::schema_of;
    use crate::config::{ConfigError, RateLimit};
    use crate::http::HttpSettings;
    use crate::plan::{PlanOptions, plan};
    use crate::provider::{ActionWriter, LiveReader, Providers};
    use crate::sandbox::{Clock, Sandbox, SandboxConfig};
    use crate::vendor::import::ImportContext;

    const FILE: &str = "version: 1\nacme:\n  defaults:\n    max_key_age: 30d\n  keys:\n    deploy:\n      key_id: k1\n      secret: {file: secrets/deploy.key}\n    backup:\n      key_id: k2\n      secret: {file: secrets/backup.key}\n";

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    /// Acme's API as the environment configures it: k1 issued 40 days ago, k2 two days ago.
    fn environment(name: &str) -> Option<String> {
        match name {
            "ACME_TOKEN" => Some("acme-token".to_owned()),
            "ACME_KEYS" => Some("k1=2026-10-15T12:00:00Z,k2=2026-11-22T12:00:00Z".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn the_section_is_read_validated_and_described_by_the_schema() {
        let desired =
            load_sections::<FileSections>("keyrot.yaml", FILE.as_bytes(), Path::new("/x"))
                .expect("a valid file");
        assert_eq!(VENDORS, [&super::VENDOR]);
        let names: Vec<&str> = desired.resource_names();
        assert_eq!(names, ["deploy", "backup"]);
        assert!(
            desired
                .resources
                .iter()
                .all(|key| key.vendor == &super::VENDOR)
        );
        assert!(desired.resources.iter().all(|key| key.sink.is_some()));
        assert_eq!(desired.connections[0].rate_limit, RateLimit::UNDOCUMENTED);

        let typo = FILE.replace("      key_id: k2", "      key_di: k2");
        let Err(ConfigError::Invalid { diagnostics, .. }) =
            load_sections::<FileSections>("keyrot.yaml", typo.as_bytes(), Path::new("/x"))
        else {
            panic!("an unknown field is an error");
        };
        let found: Vec<(u64, u64)> = diagnostics.iter().map(|d| (d.line, d.column)).collect();
        assert!(found.contains(&(10, 7)), "{diagnostics:?}");

        let schema = schema_of::<FileSections>();
        assert_eq!(
            schema["properties"]["acme"]["properties"]["keys"]["additionalProperties"]["$ref"],
            "#/$defs/acme_key"
        );
        assert!(schema["$defs"]["acme_key"]["properties"]["secret"].is_object());
    }

    #[tokio::test]
    async fn its_keys_are_read_planned_and_rotated_through_the_registration() {
        let desired =
            load_sections::<FileSections>("keyrot.yaml", FILE.as_bytes(), Path::new("/x")).unwrap();
        let configure: Vec<_> = REGISTERED.iter().map(|entry| entry.provider).collect();
        let settings = HttpSettings::new(RateLimit::UNDOCUMENTED);
        let providers = Providers::from_env(&configure, &desired, environment, &settings, 2)
            .unwrap_or_else(|_| panic!("configured"));
        let live = providers
            .read_live(&desired, &|| {})
            .await
            .complete()
            .unwrap();
        let plan = plan(&desired, &live, now(), PlanOptions::default()).unwrap();
        let due: Vec<&str> = plan
            .resources
            .iter()
            .filter(|resource| resource.rotations() == 1)
            .map(|resource| resource.name.as_str())
            .collect();
        assert_eq!(due, ["deploy"], "k1 is 40 days old, k2 two");
        let deploy = &plan.resources[0];
        assert_eq!(deploy.before[0].name, "issued_at");
        let executed = providers.write(deploy, &deploy.actions[0]).await.unwrap();
        assert!(executed.secret.is_some(), "a rotation issues a secret");

        let missing = Providers::from_env(&configure, &desired, |_| None, &settings, 2);
        let Err(errors) = missing else {
            panic!("no credentials")
        };
        assert!(
            errors[0].to_string().contains("ACME_TOKEN"),
            "{}",
            errors[0]
        );
    }

    #[tokio::test]
    async fn its_simulator_serves_in_the_sandbox_and_its_importer_writes_a_valid_section() {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let vendors = REGISTERED
            .iter()
            .map(|entry| (entry.sandbox)(None, Clock::Fixed(now())))
            .collect();
        let config = SandboxConfig {
            clock: Clock::Fixed(now()),
            vendors,
            faults: Default::default(),
        };
        let sandbox = Sandbox::start(listen, config).await.unwrap();
        assert!(sandbox.shell_exports().starts_with("export ACME_TOKEN="));
        assert!(
            sandbox
                .simulated::<super::sandbox::SimulatedAcme>()
                .is_some()
        );

        let importer = &REGISTERED[0].import;
        let matches = (importer.command)()
            .try_get_matches_from(["acme", "--all"])
            .unwrap();
        let progress = |_, _| -> Box<dyn crate::apply::Ticker> { Box::new(NoProgress) };
        let settings = HttpSettings::new(RateLimit::UNDOCUMENTED);
        let context = ImportContext {
            http: &settings,
            parallelism: 1,
            var: &environment,
            progress: &progress,
        };
        let imported = (importer.run)(&matches, context).await.unwrap();
        assert_eq!(imported.summary, "2 Acme keys imported");
        let filled: String = imported
            .text
            .split(crate::config::SINK_PLACEHOLDER)
            .enumerate()
            .map(|(index, part)| match index {
                0 => part.to_owned(),
                n => format!("secrets/{n}.key{part}"),
            })
            .collect();
        load_sections::<FileSections>("imported", filled.as_bytes(), Path::new("/x"))
            .expect("the import validates once its sinks are set");
    }

    struct NoProgress;

    impl crate::apply::Ticker for NoProgress {
        fn advance(&self, _: usize) {}
        fn println(&self, _: &str) {}
        fn finish(&self) {}
    }
}
