//! The OAuth2 + IMAP test bed itself (tests/support/oauth_bed.rs, README-oauth.md): it
//! starts on this machine and passes its own end-to-end check (`oauth-testbed-check.py`:
//! authorization code + PKCE, XOAUTH2 / OAUTHBEARER over SMTP and IMAP, APPEND to the
//! SPECIAL-USE `\Sent`, refusals, refresh, revocation, device authorization), and each
//! Rust helper does what it says. Every test holds `serial()`: the controls (config,
//! expire_all) change the server for all of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use support::oauth_bed::{
    self, CLIENT_ID, Config, OAUTH_USER, OAuthBed, PW_USER, SCOPE, oauth_bed, serial,
};

fn greeting(port: u16) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

/// The device flow from code to tokens, approved by the test control.
fn device_tokens(bed: &OAuthBed) -> serde_json::Value {
    let dc = bed.device_code(SCOPE);
    let first = bed.device_poll(&dc.device_code);
    assert_eq!(first.error().as_deref(), Some("authorization_pending"));
    assert_eq!(bed.device_approve(&dc.user_code).status, 200);
    std::thread::sleep(Duration::from_millis(dc.interval * 1000 + 100));
    let reply = bed.device_poll(&dc.device_code);
    assert_eq!(
        reply.status, 200,
        "device poll after approval: {}",
        reply.body
    );
    reply.json()
}

#[test]
fn the_bed_passes_its_own_end_to_end_check() {
    let bed = oauth_bed();
    let _serial = serial();
    bed.reset_config();
    let started = Instant::now();
    let output = Command::new("python3")
        .arg(support::support_dir().join("oauth-testbed-check.py"))
        .arg(&bed.dir)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!(
        "{stdout}{}(oauth-testbed-check.py took {:.1} s)",
        String::from_utf8_lossy(&output.stderr),
        started.elapsed().as_secs_f64()
    );
    let last = stdout.lines().last().unwrap_or_default();
    let (passed, rest) = last.split_once(" passed, ").unwrap_or(("", ""));
    assert!(
        rest == "0 failed" && passed.parse::<u32>().unwrap_or(0) > 0 && output.status.success(),
        "closing line {last:?}"
    );
    // what it sent and filed is where the folder helpers say
    assert!(bed.messages(&bed.maildir(OAUTH_USER)).len() >= 2);
    assert!(!bed.messages(&bed.sent_folder(OAUTH_USER)).is_empty());
}

#[test]
fn servers_answer_on_the_ports_the_bed_reports() {
    let bed = oauth_bed();
    let _serial = serial();
    assert!(greeting(bed.imap).starts_with("* OK"));
    assert!(greeting(bed.submission).starts_with("220 "));
    assert!(bed.ca_file().is_file());
    assert_eq!(bed.issuer(), format!("http://127.0.0.1:{}", bed.oauth_port));
    let discovery = bed.get(bed.discovery_url()).json();
    assert_eq!(discovery["issuer"], bed.issuer());
    assert_eq!(discovery["token_endpoint"], bed.token_url());
    assert_eq!(discovery["authorization_endpoint"], bed.authorize_url());
    assert_eq!(
        discovery["device_authorization_endpoint"],
        bed.devicecode_url()
    );
    assert_eq!(discovery["introspection_endpoint"], bed.introspect_url());
    for (key, port) in [
        ("IMAP_STARTTLS_PORT", bed.imap),
        ("IMAPS_PORT", bed.imaps),
        ("SMTP_SUBMISSION_PORT", bed.submission),
        ("SMTPS_PORT", bed.smtps),
    ] {
        assert_eq!(bed.env[key], port.to_string(), "{key}");
    }
}

#[test]
fn a_minted_token_is_active_until_expired() {
    let bed = oauth_bed();
    let _serial = serial();
    let minted = bed.mint(3600);
    let info = bed.introspect(&minted.access_token);
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["email"], OAUTH_USER);
    assert_eq!(info["scope"], SCOPE);
    assert_eq!(info["exp"], minted.expires_at);
    assert_eq!(bed.expire(&minted.access_token), 1);
    assert_eq!(bed.introspect(&minted.access_token)["active"], false);
}

#[test]
fn mint_makes_expired_tokens_and_tokens_for_other_users_and_scopes() {
    let bed = oauth_bed();
    let _serial = serial();
    assert_eq!(bed.introspect(&bed.mint(-60).access_token)["active"], false);
    let other = bed.mint_for(PW_USER, 600, "openid email");
    let info = bed.introspect(&other.access_token);
    assert_eq!(info["active"], true);
    assert_eq!(info["email"], PW_USER);
    assert_eq!(info["scope"], "openid email");
}

#[test]
fn a_revoked_token_is_inactive() {
    let bed = oauth_bed();
    let _serial = serial();
    let minted = bed.mint(3600);
    bed.revoke(&minted.access_token);
    assert_eq!(bed.introspect(&minted.access_token)["active"], false);
}

#[test]
fn expire_all_expires_every_token() {
    let bed = oauth_bed();
    let _serial = serial();
    let (a, b) = (bed.mint(3600), bed.mint(3600));
    assert!(bed.expire_all() >= 2);
    assert_eq!(bed.introspect(&a.access_token)["active"], false);
    assert_eq!(bed.introspect(&b.access_token)["active"], false);
}

#[test]
fn the_device_flow_helpers_approve_and_deny() {
    let bed = oauth_bed();
    let _serial = serial();
    bed.reset_config();
    let tokens = device_tokens(bed);
    assert_eq!(tokens["scope"], SCOPE);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(bed.introspect(access)["email"], OAUTH_USER);
    assert!(tokens["refresh_token"].as_str().is_some());

    let denied = bed.device_code(SCOPE);
    assert_eq!(bed.device_deny(&denied.user_code).status, 200);
    let reply = bed.device_poll(&denied.device_code);
    assert_eq!(
        reply.error().as_deref(),
        Some("access_denied"),
        "{}",
        reply.body
    );

    // the browser step: GET verification_uri_complete approves
    let visited = bed.device_code(SCOPE);
    assert!(
        visited
            .verification_uri_complete
            .starts_with(bed.device_verification_url())
    );
    assert_eq!(bed.get(&visited.verification_uri_complete).status, 200);
    assert_eq!(bed.device_poll(&visited.device_code).status, 200);
}

#[test]
fn config_changes_token_lifetime_rotation_errors_and_consent() {
    let bed = oauth_bed();
    let _serial = serial();
    bed.reset_config();

    let now = bed.config(&Config {
        access_ttl: Some(Some(2)),
        rotate_refresh: Some(true),
        device_expires_in: Some(30),
        ..Config::default()
    });
    assert_eq!(now["access_ttl"], 2);
    let tokens = device_tokens(bed);
    assert!(tokens["expires_in"].as_i64().unwrap() <= 2, "{tokens}");
    let old_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let refreshed = bed.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &old_refresh),
        ("client_id", CLIENT_ID),
    ]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_ne!(
        refreshed.json()["refresh_token"].as_str().unwrap(),
        old_refresh
    );
    let again = bed.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &old_refresh),
        ("client_id", CLIENT_ID),
    ]);
    assert_eq!(
        again.error().as_deref(),
        Some("invalid_grant"),
        "{}",
        again.body
    );

    bed.config(&Config {
        next_token_error: Some(Some("temporarily_unavailable".into())),
        ..Config::default()
    });
    let unavailable = bed.token_request(&[("grant_type", "client_credentials")]);
    assert_eq!(unavailable.status, 503);
    assert_eq!(
        unavailable.error().as_deref(),
        Some("temporarily_unavailable")
    );
    // once only
    assert_eq!(
        bed.state()["config"]["next_token_error"],
        serde_json::Value::Null
    );

    bed.config(&Config {
        deny_next_authorize: Some(true),
        ..Config::default()
    });
    let refused = bed.device_code(SCOPE);
    let page = bed.get(&refused.verification_uri_complete);
    assert!(page.body.contains("refused"), "{}", page.body);
    assert_eq!(
        bed.device_poll(&refused.device_code).error().as_deref(),
        Some("access_denied")
    );

    let reset = bed.reset_config();
    assert_eq!(reset["access_ttl"], serde_json::Value::Null);
    assert_eq!(reset["rotate_refresh"], false);
    assert_eq!(reset["device_expires_in"], 600);
}

#[test]
fn state_counts_what_the_server_did() {
    let bed = oauth_bed();
    let _serial = serial();
    let before = bed.state();
    let minted = bed.mint(60);
    bed.introspect(&minted.access_token);
    let after = bed.state();
    assert!(after["stats"]["introspect"].as_u64() > before["stats"]["introspect"].as_u64());
    assert_eq!(after["users"][0], OAUTH_USER);
    let last = after["introspections"].as_array().unwrap();
    assert!(!last.is_empty());
    // the module's own URL encoding round-trips through the server
    assert_eq!(oauth_bed::urlencode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}
