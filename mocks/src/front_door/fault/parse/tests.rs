use super::*;

#[test]
fn the_issue_examples_parse() {
    let rule: FaultRule = "host=*.blob.core.windows.net method=PUT path=/registry/ \
                           action=status:503 schedule=first:3"
        .parse()
        .unwrap();
    assert_eq!(rule.name, "status:503");
    assert_eq!(rule.method, Some(Method::PUT));
    assert_eq!(rule.path_prefix.as_deref(), Some("/registry/"));
    assert_eq!(
        rule.action,
        FaultAction::AzureError(AzureError::server_busy())
    );
    assert_eq!(rule.schedule, Schedule::First(3));

    let action = |text: &str| text.parse::<FaultAction>().unwrap();
    assert_eq!(
        action("latency:100ms..300ms"),
        FaultAction::Latency(Latency {
            min: Duration::from_millis(100),
            max: Duration::from_millis(300)
        })
    );
    assert_eq!(
        action("bandwidth:1MiB/s"),
        FaultAction::Bandwidth(Bandwidth {
            direction: BodyDirection::Response,
            bytes_per_second: 1 << 20
        })
    );
    assert_eq!(
        action("reset-mid-body:64KiB"),
        FaultAction::ResetMidBody { after: 65_536 }
    );
    assert_eq!(
        action("status:500,code:OperationTimedOut"),
        FaultAction::AzureError(AzureError::operation_timed_out())
    );
    let schedule: Schedule = "window:5s+20s,prob:0.1,seed:42".parse().unwrap();
    assert_eq!(
        schedule,
        Schedule::All(vec![
            Schedule::Window {
                start: Duration::from_secs(5),
                length: Duration::from_secs(20)
            },
            Schedule::Probability { p: 0.1, seed: 42 },
        ])
    );
    assert_eq!(schedule.seed(), Some(42));
    assert_eq!("every:4".parse::<Schedule>().unwrap(), Schedule::Every(4));
}

#[test]
fn errors_name_the_offending_token() {
    let token = |text: &str| text.parse::<FaultRule>().unwrap_err().token;
    assert_eq!(token("host=a.example action=latency:2x"), "2x");
    assert_eq!(token("host=a.example action=explode"), "explode");
    assert_eq!(
        token("host=a.example action=reset colour=red"),
        "colour=red"
    );
    assert_eq!(
        token("host=a.example action=reset schedule=seed:1"),
        "seed:1"
    );
    assert_eq!(token("host=a.example action=status:418"), "418");
    assert_eq!(token("action=reset"), "action=reset");
    let error = "host=a.example action=status:418"
        .parse::<FaultRule>()
        .unwrap_err();
    assert_eq!(error.kind, FaultParseErrorKind::NoDefaultCode(418));
    assert!(error.to_string().contains("`418`"), "{error}");
}
