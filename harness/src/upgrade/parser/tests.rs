use super::*;

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn reading(read: &str, env: &[&str]) -> ParserReading {
    ParserReading {
        read: Ok(yaml(read)),
        ignored_env: env.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn keys_the_parser_did_not_write_back_are_ignored_unless_zero() {
    let input = yaml(
        "version: 0.1\nredis:\n  addr: r:6379\n  db: 0\n  pool: {maxidle: 16}\nstorage:\n  azure: {accountname: a}\n  delete: {enabled: false}\nnotifications:\n  endpoints:\n    - {name: audit, url: u, threshold: 5}\n",
    );
    // As 3.x writes a 2.8 redis section back: addrs, no addr, no pool.
    let read = reading(
        "version: \"0.1\"\nredis:\n  addrs: []\nstorage:\n  azure: {accountname: a}\nnotifications:\n  endpoints:\n    - {name: audit, url: u, threshold: 5}\n",
        &["REGISTRY_REDIS_ADDR"],
    );
    let found = findings("v3.1.2", &input, &read);
    let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        ["redis.addr", "redis.pool.maxidle", "REGISTRY_REDIS_ADDR"],
        "{found:?}"
    );
    assert!(found[0]
        .note
        .contains("not a key of v3.1.2's configuration"));
    assert!(found[2]
        .note
        .contains("Ignoring unrecognized environment variable"));
}

#[test]
fn a_refused_config_is_one_finding() {
    let read = ParserReading {
        read: Err("unsupported version: \"0.2\"".into()),
        ignored_env: Vec::new(),
    };
    let found = findings("v2.8.3", &yaml("version: 0.2\n"), &read);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "config");
    assert!(found[0]
        .note
        .contains("rejected by v2.8.3's configuration parser: unsupported version"));
}

#[test]
fn unrecognized_variables_are_read_from_the_parser_s_warnings() {
    let log = "time=\"t\" level=warning msg=\"Ignoring unrecognized environment variable REGISTRY_REDIS_ADDRS\"\nother line\n";
    assert_eq!(unrecognized_variables(log), ["REGISTRY_REDIS_ADDRS"]);
}

#[test]
fn keys_are_compared_as_written_since_the_parser_matches_them_exactly() {
    let input = yaml("notifications:\n  endpoints:\n    - {name: a, Timeout: 5s}\n");
    let read = reading(
        "notifications:\n  endpoints:\n    - {name: a, timeout: 0s}\n",
        &[],
    );
    let found = findings("v3.1.2", &input, &read);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "notifications.endpoints[].Timeout");
}
