//! The issuer's RA console over HTTP, as a browser uses it: finding a person, an
//! invitation whose QR link and PIN a wallet really collects with, roles, CSRF, the RA
//! queue's refused and accepted decisions, and the ESR event log.

use serde_json::{json, Value};
use tests::Platform;

use crate::console::{add_account, Browser, Page};

const RA_UUID: &str = "555000000031";
const AUDITOR_UUID: &str = "555000000032";

fn add_user(platform: &Platform, username: &str, uuid: &str, roles: &[&str]) {
    add_account(platform.issuer.console().unwrap(), username, uuid, roles);
}

/// An `href` (or any attribute) after `marker`, unescaped as a browser would.
fn attribute_after(page: &Page, marker: &str) -> String {
    let start = page.body.find(marker).unwrap_or_else(|| {
        panic!("{marker} not on the page: {}", page.body);
    }) + marker.len();
    page.body[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn offers_of(platform: &Platform, person: &str) -> usize {
    platform.issuer.offers_for(person).unwrap().len()
}

#[tokio::test]
async fn an_ra_finds_a_person_invites_them_and_their_wallet_collects_with_the_pin() {
    let platform = Platform::start().await.unwrap();
    add_user(&platform, "rita.ra", RA_UUID, &["ra"]);
    add_user(&platform, "audrey.auditor", AUDITOR_UUID, &["auditor"]);

    let mut ra = Browser::at(&platform.issuer_url);
    let page = ra.get("/console/people/P0001").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/login?next=%2Fconsole%2Fpeople%2FP0001"))
    );
    assert_eq!(
        ra.sign_in("rita.ra", "a long console password")
            .await
            .status,
        303
    );

    let home = ra.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home
        .body
        .contains("href=\"/console/people/P0001\">Amara Notreal</a>"));
    let found = ra.get("/?q=notreal").await;
    assert!(found.body.contains("Amara Notreal") && !found.body.contains("Bethan"));
    let hostile = ra.get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(hostile.status, 200);
    assert!(
        !hostile.body.contains("<script>alert"),
        "the query is escaped"
    );
    assert!(hostile.body.contains("id=\"no-people\""));
    assert_eq!(
        ra.get("/?q=%zz").await.status,
        200,
        "a malformed query string"
    );

    let person = ra.get("/console/people/P0001").await;
    assert_eq!(person.status, 200);
    assert!(person.body.contains("id=\"no-credentials\""));
    assert!(person
        .body
        .contains("value=\"CareIdentityCredential\" checked"));
    let csrf = person.csrf();
    let invite = "/console/people/P0001/invitations";

    // Refused invitations change nothing: no CSRF token, no type, a lifetime not offered.
    let forged = ra
        .post(
            invite,
            &[
                ("types", "EmploymentCredential"),
                ("expires_in_seconds", "900"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let none = ra
        .post(invite, &[("csrf", &csrf), ("expires_in_seconds", "900")])
        .await;
    assert_eq!(none.status, 400);
    assert!(none
        .body
        .contains("Choose at least one credential to offer."));
    let too_long = ra
        .post(
            invite,
            &[
                ("csrf", &csrf),
                ("types", "EmploymentCredential"),
                ("expires_in_seconds", "99999999"),
            ],
        )
        .await;
    assert_eq!(too_long.status, 400);
    assert!(
        too_long.body.contains("nhsuk-error-summary"),
        "{}",
        too_long.body
    );
    assert!(too_long
        .body
        .contains("Choose how long the invitation lasts: at most 15 minutes here."));
    let unsupported = ra
        .post(
            invite,
            &[
                ("csrf", &csrf),
                ("types", "NoSuchCredential"),
                ("expires_in_seconds", "900"),
            ],
        )
        .await;
    assert_eq!(unsupported.status, 400);
    assert_eq!(offers_of(&platform, "P0001").await, 0);

    let made = ra
        .post(
            invite,
            &[
                ("csrf", &csrf),
                ("types", "CareIdentityCredential"),
                ("types", "EmploymentCredential"),
                ("expires_in_seconds", "300"),
            ],
        )
        .await;
    // Posted, then shown by a redirect, so that a reload cannot post it again.
    assert_eq!(made.status, 303, "{}", made.body);
    let next = made.location.clone().unwrap();
    assert!(next.starts_with("/console/invitations/"), "{next}");
    let made = ra.get(&next).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let pin = attribute_after(&made, "id=\"pin\">")
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    assert!(
        made.body.contains("class=\"passport-qr\"") && made.body.contains("<svg"),
        "the QR code is on the page"
    );
    let link = attribute_after(&made, "id=\"offer-link\" href=\"");
    assert!(link.starts_with("openid-credential-offer://"), "{link}");
    assert_eq!(attribute_after(&made, "data-next=\""), next);
    let offer_id = next.rsplit('/').next().unwrap().to_owned();
    let status_path = format!("/console/invitations/{offer_id}/status");
    assert_eq!(ra.get(&status_path).await.body, r#"{"status":"pending"}"#);

    // Reloading shows the same invitation and PIN to the RA who made it, and makes no
    // second offer; anyone else sees the QR code, never the PIN.
    let again = ra.get(&next).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains(&format!("id=\"pin\">{pin}<")));
    assert_eq!(offers_of(&platform, "P0001").await, 1);
    let mut other_ra = Browser::at(&platform.issuer_url);
    other_ra.sign_in("rita.ra", "a long console password").await;
    let elsewhere = other_ra.get(&next).await;
    assert_eq!(elsewhere.status, 200);
    assert!(
        elsewhere.body.contains("class=\"passport-qr\"") && !elsewhere.body.contains("id=\"pin\""),
        "another session of the same RA sees no PIN"
    );

    let dir = tempfile::tempdir().unwrap();
    let wallet = crate::wallet::wallet(&dir);
    let received = wallet.accept_offer(&link, Some(&pin)).await.unwrap();
    let kinds: std::collections::BTreeSet<String> = received
        .iter()
        .map(|c| c.configuration_id.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            "CareIdentityCredential_dc_sd_jwt",
            "CareIdentityCredential_ldp_vc",
            "EmploymentCredential_dc_sd_jwt",
            "EmploymentCredential_ldp_vc"
        ]
        .map(String::from)
        .into()
    );

    assert_eq!(ra.get(&status_path).await.body, r#"{"status":"redeemed"}"#);
    let collected = ra.get(&next).await;
    assert!(collected.body.contains("Collected") && !collected.body.contains("passport-qr"));
    assert!(
        !collected.body.contains("id=\"pin\""),
        "once collected the PIN is gone"
    );
    let person = ra.get("/console/people/P0001").await;
    assert!(person.body.contains("data-credential=\""));
    assert!(person.body.contains("NHS Care Identity"));
    assert!(person.body.contains(RA_UUID), "the invitation names its RA");
    assert!(person.body.contains(&wallet.holder_did().unwrap()));

    // An auditor sees the person but cannot invite.
    let mut auditor = Browser::at(&platform.issuer_url);
    auditor
        .sign_in("audrey.auditor", "a long console password")
        .await;
    let seen = auditor.get("/console/people/P0001").await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("id=\"invitation\""));
    let refused = auditor
        .post(
            invite,
            &[
                ("csrf", &seen.csrf()),
                ("types", "EmploymentCredential"),
                ("expires_in_seconds", "300"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused
        .body
        .contains("does not have the role needed to make an invitation"));
    assert_eq!(offers_of(&platform, "P0001").await, 1);
    assert_eq!(ra.get("/console/people/P9999").await.status, 404);

    // An account that only manages accounts sees no one's records.
    add_user(&platform, "ada.admin", "555000000033", &["admin"]);
    let mut admin = Browser::at(&platform.issuer_url);
    admin.sign_in("ada.admin", "a long console password").await;
    for path in [
        "/",
        "/console/people/P0001",
        "/console/requests",
        "/console/events",
    ] {
        let refused = admin.get(path).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(!refused.body.contains("Amara"), "{path}");
    }
    assert_eq!(admin.get("/console/users").await.status, 200);
}

#[tokio::test]
async fn signing_in_to_another_console_on_the_same_host_keeps_this_one_signed_in() {
    let platform = Platform::start().await.unwrap();
    add_user(&platform, "rita.ra", RA_UUID, &["ra"]);
    add_account(
        platform.verifier.console().unwrap(),
        "olu.officer",
        "555000000011",
        &["officer"],
    );
    let mut ra = Browser::at(&platform.issuer_url);
    ra.sign_in("rita.ra", "a long console password").await;
    // One browser, one cookie jar for 127.0.0.1, whatever the port.
    let mut desk = Browser::at(&platform.verifier_url);
    desk.cookies = ra.cookies.clone();
    assert_eq!(
        desk.sign_in("olu.officer", "a long console password")
            .await
            .status,
        303
    );
    ra.cookies = desk.cookies.clone();
    assert_eq!(
        ra.get("/").await.status,
        200,
        "still signed in to the RA console"
    );
    assert_eq!(desk.get("/").await.status, 200);
}

#[tokio::test]
async fn an_ra_rejects_without_a_reason_in_vain_then_grants_a_name_change_and_the_log_shows_it() {
    let platform = Platform::start().await.unwrap();
    add_user(&platform, "rita.ra", RA_UUID, &["ra"]);
    add_user(&platform, "audrey.auditor", AUDITOR_UUID, &["auditor"]);
    let issued = platform
        .admin_post("/admin/people/P0001/credentials", &json!({}))
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let reply = platform
        .esr_event_for_p0001(
            "EVT-RA-CONSOLE-1",
            "NAME_CHANGE",
            5,
            json!({"field": "family_name", "old": "Notreal", "new": "Renamed"}),
        )
        .await
        .unwrap();
    assert_eq!(reply["outcome"], "accepted_pending_manual_grant");
    let request = reply["ra_request"].as_str().unwrap().to_owned();

    let mut ra = Browser::at(&platform.issuer_url);
    ra.sign_in("rita.ra", "a long console password").await;
    let home = ra.get("/").await;
    assert!(home
        .body
        .contains("1 request waiting for a Registration Authority"));
    let queue = ra.get("/console/requests").await;
    assert!(queue
        .body
        .contains("Name change: family name from “Notreal” to “Renamed”"));
    let csrf = queue.csrf();

    let mut auditor = Browser::at(&platform.issuer_url);
    auditor
        .sign_in("audrey.auditor", "a long console password")
        .await;
    let looked = auditor.get("/console/requests").await;
    assert!(
        !looked.body.contains("/accept\""),
        "no decision forms for an auditor"
    );
    let refused = auditor
        .post(
            &format!("/console/requests/{request}/accept"),
            &[("csrf", &looked.csrf())],
        )
        .await;
    assert_eq!(refused.status, 403);

    let no_reason = ra
        .post(
            &format!("/console/requests/{request}/reject"),
            &[("csrf", &csrf), ("reason", "   ")],
        )
        .await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("A rejection must give a reason."));
    let pending: Value = platform
        .admin_get("/ra/requests?state=pending")
        .await
        .unwrap();
    assert_eq!(
        pending["requests"].as_array().unwrap().len(),
        1,
        "still waiting"
    );
    let record = platform.admin_get("/admin/people/P0001").await.unwrap();
    assert_eq!(record["family_name"], "Notreal", "the name is held");

    let granted = ra
        .post(
            &format!("/console/requests/{request}/accept"),
            &[("csrf", &csrf), ("reason", "Marriage certificate seen")],
        )
        .await;
    assert_eq!(
        (granted.status, granted.location.as_deref()),
        (303, Some("/console/requests"))
    );
    let decided = platform
        .admin_get("/ra/requests?state=accepted")
        .await
        .unwrap();
    assert_eq!(decided["requests"][0]["decided_by"], RA_UUID);
    assert_eq!(
        decided["requests"][0]["reason"],
        "Marriage certificate seen"
    );
    let record = platform.admin_get("/admin/people/P0001").await.unwrap();
    assert_eq!(record["family_name"], "Renamed");
    let queue = ra.get("/console/requests").await;
    assert!(queue.body.contains("id=\"no-requests\""));
    assert!(queue.body.contains(&format!("by {RA_UUID}")));
    let twice = ra
        .post(
            &format!("/console/requests/{request}/accept"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(twice.status, 400);
    assert!(twice.body.contains("was already accepted"));

    // The person's old identity credential was replaced: the page shows a revoked one.
    let person = ra.get("/console/people/P0001").await;
    assert!(person.body.contains("Revoked"), "{}", person.body);

    let log = ra.get("/console/events").await;
    assert!(log.body.contains("data-event=\"EVT-RA-CONSOLE-1\""));
    let other = ra.get("/console/events?person=P0002").await;
    assert!(!other.body.contains("EVT-RA-CONSOLE-1") && other.body.contains("id=\"no-events\""));
    let by_type = ra
        .get("/console/events?person=P0001&type=NAME_CHANGE")
        .await;
    assert!(by_type.body.contains("EVT-RA-CONSOLE-1"));
    let by_other_type = ra.get("/console/events?type=LEAVER").await;
    assert!(!by_other_type.body.contains("EVT-RA-CONSOLE-1"));
}
