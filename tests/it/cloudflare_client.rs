//! The Cloudflare client against the independent sandbox: the wire format agrees both ways, and
//! the API's own refusals come back with their status, code and message.

use crate::harness::{TestSandbox, account, days_ago, now};
use keyrot::http::HttpSettings;
use keyrot::plan::Schedule;
use keyrot::provider::ProviderError;
use keyrot::vendor::cloudflare::AccountId;
use keyrot::vendor::cloudflare::{AccountRef, CloudflareClient, CloudflareCredentials};

const PRODUCTION: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// A sandbox holding production, and a client for it.
fn production() -> (TestSandbox, CloudflareClient, AccountId) {
    let sandbox = TestSandbox::start(vec![account(PRODUCTION, 90, days_ago(10))]);
    let token = sandbox.credentials().api_token.to_owned();
    let client = CloudflareClient::new(
        sandbox.cloudflare_base_url().parse().unwrap(),
        CloudflareCredentials::Token(token.into()),
        HttpSettings::new(keyrot::vendor::cloudflare::facts::RATE_LIMIT),
    )
    .unwrap();
    (sandbox, client, AccountId::parse(PRODUCTION).unwrap())
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

#[test]
fn read_update_and_rotate_round_trip() {
    let (_sandbox, client, id) = production();
    let reference = AccountRef {
        name: "production",
        account_id: &id,
    };
    block_on(async {
        let schedule = |interval_days, days_until_next| {
            Some(Schedule {
                interval_days,
                days_until_next: Some(days_until_next),
            })
        };
        let live = client.read(reference).await.unwrap();
        assert_eq!(live.schedule, schedule(90.0, 80.0));
        assert_eq!(live.last_rotation, Some(days_ago(10)));

        let updated = client.update_interval(reference, 30).await.unwrap();
        assert_eq!(updated.schedule, schedule(30.0, 20.0));

        let rotated = client.rotate(reference).await.unwrap();
        assert_eq!(rotated.last_rotation, Some(now()));
        assert_eq!(rotated.schedule, schedule(30.0, 30.0));
    });
}

#[test]
fn an_out_of_range_interval_is_refused_by_the_api_with_its_code() {
    let (sandbox, client, id) = production();
    let reference = AccountRef {
        name: "production",
        account_id: &id,
    };
    let error = block_on(client.update_interval(reference, 400)).unwrap_err();
    let ProviderError::Api { status, errors, .. } = &error else {
        panic!("expected an API error, got {error}");
    };
    assert_eq!(*status, 400);
    assert_eq!(errors[0].code, 12130);
    assert!(error.to_string().contains("between 21 and 365"), "{error}");
    assert_eq!(sandbox.account(PRODUCTION).key_rotation_interval_days, 90);
}
