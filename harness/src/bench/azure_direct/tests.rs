use super::*;

/// The documented layout written out by hand for one set of values; the
/// signature was computed independently with
/// `openssl dgst -sha256 -mac HMAC -macopt key:regmatrix-test-key -binary | base64`.
#[test]
fn account_sas_string_to_sign_and_signature_match_the_documented_layout() {
    let sas = AccountSas::read_write_blobs("2030-01-01T00:00:00Z");
    assert_eq!(
        sas.string_to_sign("myaccount"),
        "myaccount\nrwdlac\nb\nsco\n\n2030-01-01T00:00:00Z\n\nhttps\n2021-12-02\n\n"
    );
    let pairs = sas.query_pairs("myaccount", b"regmatrix-test-key");
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("sv", "2021-12-02"),
            ("ss", "b"),
            ("srt", "sco"),
            ("sp", "rwdlac"),
            ("se", "2030-01-01T00:00:00Z"),
            ("spr", "https"),
            ("sig", "MXhtMMsp7WccEkM0X/d8kbZPTDx08EYm9HUKfH2mE48="),
        ]
    );
}

#[test]
fn sas_query_is_percent_encoded_in_the_url() {
    let mut url = Url::parse("https://a.blob.core.windows.net:1/c/b").unwrap();
    let sas = AccountSas::read_write_blobs("2030-01-01T00:00:00Z");
    url.query_pairs_mut()
        .extend_pairs(sas.query_pairs("myaccount", b"regmatrix-test-key"));
    assert!(url.as_str().ends_with(
        "&se=2030-01-01T00%3A00%3A00Z&spr=https&sig=MXhtMMsp7WccEkM0X%2Fd8kbZPTDx08EYm9HUKfH2mE48%3D"
    ));
}

#[test]
fn sas_time_is_utc_to_the_second() {
    let at = time::macros::datetime!(2030-01-02 03:04:05.678 +02:00);
    assert_eq!(format_sas_time(at).unwrap(), "2030-01-02T01:04:05Z");
}

#[test]
fn resource_urls_encode_names_and_keep_slashes() {
    let base = Url::parse("https://acct.blob.core.windows.net:10000/").unwrap();
    let url = resource_url(&base, "registry", Some("/docker/a b%/data")).unwrap();
    assert_eq!(
        url.as_str(),
        "https://acct.blob.core.windows.net:10000/registry//docker/a%20b%25/data"
    );
    let url = resource_url(&base, "registry", None).unwrap();
    assert_eq!(url.path(), "/registry");
    assert!(resource_url(&base, "", None).is_err());
    assert!(resource_url(&base, "registry", Some("")).is_err());
}

#[test]
fn block_ids_have_one_length_and_sort_in_piece_order() {
    let ids: Vec<[u8; 8]> = [0, 1, 255, 256, MAX_BLOCKS - 1]
        .into_iter()
        .map(block_id)
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn service_answers_become_status_and_code() {
    let answer = azure_core::Error::with_message(
        azure_core::error::ErrorKind::HttpResponse {
            status: 404u16.into(),
            error_code: Some("BlobNotFound".into()),
            raw_response: None,
        },
        "<?xml ...> a long XML body",
    );
    let error = sdk_error("Get Blob", "c/b", answer);
    assert_eq!(
        error.to_string(),
        "Get Blob c/b: the service answered HTTP 404 BlobNotFound"
    );
    let io = azure_core::Error::with_message(azure_core::error::ErrorKind::Io, "reset");
    assert_eq!(
        sdk_error("Put Block", "c/b", io).to_string(),
        "Put Block c/b failed: reset"
    );
}
