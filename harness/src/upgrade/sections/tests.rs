use super::*;

fn classify_yaml(text: &str) -> (Vec<Section>, UserSections) {
    classify(&serde_yaml::from_str(text).unwrap())
}

fn fate_of(sections: &[Section], key: &str) -> SectionFate {
    sections
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no section {key} in {sections:?}"))
        .fate
}

#[test]
fn every_key_is_accounted_for_and_only_runnable_ones_are_rendered() {
    let (sections, user) = classify_yaml(
        r#"
version: 0.1
loglevel: debug
log: {level: debug, formatter: json}
storage:
  azure: {accountname: a, container: c}
  cache: {blobdescriptor: redis}
  delete: {enabled: true}
  s3: {bucket: b}
http:
  addr: :5000
  secret: s3cr3t
  headers: {X-Content-Type-Options: [nosniff]}
  tls: {certificate: /c.pem}
auth:
  token: {realm: r, service: s, issuer: i, rootcertbundle: /b.pem}
  htpasswd: {realm: r, path: /p}
redis:
  addr: redis.internal:6379
  password: hunter2
  db: 3
  tls: {enabled: true}
notifications:
  events: {includereferences: true}
  endpoints:
    - {name: audit, url: "https://audit.example.com/events", timeout: 1s, headers: {Authorization: [Bearer tok3n]}}
    - {url: "https://other.example.com/"}
middleware:
  storage:
    - {name: cloudfront, options: {baseurl: "https://cdn.example.com/"}}
proxy: {remoteurl: "https://registry-1.docker.io"}
compatibility: {schema1: {enabled: false}}
validation: {disabled: true}
health: {storagedriver: {enabled: true}, http: [{uri: "https://x"}]}
"#,
    );
    for (key, fate) in [
        ("version", SectionFate::Harness),
        ("loglevel", SectionFate::AsWritten),
        ("log", SectionFate::Harness),
        ("storage.azure", SectionFate::LocalService),
        ("storage.cache", SectionFate::AsWritten),
        ("storage.delete", SectionFate::AsWritten),
        ("storage.s3", SectionFate::NotExercised),
        ("http.addr", SectionFate::Harness),
        ("http.secret", SectionFate::Harness),
        ("http.headers", SectionFate::AsWritten),
        ("http.tls", SectionFate::NotExercised),
        ("auth.token", SectionFate::LocalService),
        ("auth.htpasswd", SectionFate::NotExercised),
        ("redis", SectionFate::LocalService),
        ("notifications", SectionFate::LocalService),
        ("middleware.storage", SectionFate::NotExercised),
        ("proxy", SectionFate::NotExercised),
        ("compatibility", SectionFate::AsWritten),
        ("validation", SectionFate::AsWritten),
        ("health.storagedriver", SectionFate::AsWritten),
        ("health.http", SectionFate::NotExercised),
    ] {
        assert_eq!(fate_of(&sections, key), fate, "{key}");
    }
    let rendered = serde_yaml::to_string(&user.config).unwrap();
    for absent in [
        "s3",
        "tls",
        "secret",
        "addr: :5000",
        "cloudfront",
        "remoteurl",
        "hunter2",
        "redis.internal",
        "audit.example.com",
        "htpasswd",
        "formatter",
        "tok3n",
    ] {
        assert!(!rendered.contains(absent), "{absent} rendered:\n{rendered}");
    }
    assert!(user.redis);
    assert!(user.redis_password());
    assert_eq!(user.notification_endpoints, ["audit", "endpoint"]);
    assert_eq!(user.config["redis"]["db"], 3);
    assert_eq!(user.config["storage"]["cache"]["blobdescriptor"], "redis");
    assert_eq!(
        user.config["notifications"]["endpoints"][0]["timeout"],
        "1s"
    );
}

#[test]
fn a_v3_addrs_list_keeps_its_shape_and_points_at_the_local_server() {
    let (_, user) = classify_yaml("redis: {addrs: [a:1, b:2]}\n");
    let filled = user.filled(&crate::registry_config::LocalServices {
        redis_addr: Some("127.0.0.1:7000".into()),
        ..Default::default()
    });
    assert_eq!(
        filled["redis"]["addrs"],
        serde_yaml::from_str::<Value>("[127.0.0.1:7000]").unwrap()
    );
    assert!(filled["redis"].get("addr").is_none());
    assert!(!user.redis_password());
}

#[test]
fn notification_urls_name_their_endpoint_at_the_recorder() {
    let (_, user) =
        classify_yaml("notifications: {endpoints: [{name: audit, url: 'https://a.example/'}]}\n");
    let filled = user.filled(&crate::registry_config::LocalServices {
        notifications_url: Some("http://notifications.regmatrix.test".into()),
        ..Default::default()
    });
    assert_eq!(
        filled["notifications"]["endpoints"][0]["url"],
        "http://notifications.regmatrix.test/audit"
    );
}

#[test]
fn redis_users_and_sentinels_are_not_rendered() {
    let (sections, user) = classify_yaml(
        "redis: {addrs: [r:6379], mastername: m, sentinelpassword: S3nt, username: u}\n",
    );
    let rendered = serde_yaml::to_string(&user.config).unwrap();
    for absent in ["mastername", "S3nt", "username"] {
        assert!(!rendered.contains(absent), "{absent} in {rendered}");
    }
    assert_eq!(
        fate_of(&sections, "redis.username,mastername,sentinelpassword"),
        SectionFate::NotExercised
    );
}
