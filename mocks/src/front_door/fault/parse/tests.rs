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

#[test]
fn ack_lost_takes_a_status_or_a_reset() {
    let action = |text: &str| text.parse::<FaultAction>();
    assert_eq!(
        action("ack-lost:status:500,code:OperationTimedOut"),
        Ok(FaultAction::AckLost(AckLost::AzureError(
            AzureError::operation_timed_out()
        )))
    );
    assert_eq!(
        action("ack-lost:status:503"),
        Ok(FaultAction::AckLost(AckLost::AzureError(
            AzureError::server_busy()
        )))
    );
    assert_eq!(
        action("ack-lost:reset"),
        Ok(FaultAction::AckLost(AckLost::Reset))
    );
    assert_eq!(
        action("ack-lost:status:503,retry-after:2s")
            .unwrap()
            .to_string(),
        "ack-lost:status:503,retry-after:2s"
    );
    assert_eq!(
        action("ack-lost:status:500,code:OperationTimedOut")
            .unwrap()
            .kind(),
        "ack-lost"
    );
    for (text, token, kind) in [
        ("ack-lost", "ack-lost", FaultParseErrorKind::InvalidAckLost),
        (
            "ack-lost:",
            "ack-lost:",
            FaultParseErrorKind::InvalidAckLost,
        ),
        (
            "ack-lost:stall",
            "stall",
            FaultParseErrorKind::InvalidAckLost,
        ),
        (
            "ack-lost:latency:1s",
            "latency:1s",
            FaultParseErrorKind::InvalidAckLost,
        ),
        (
            "ack-lost:ack-lost:reset",
            "ack-lost:reset",
            FaultParseErrorKind::InvalidAckLost,
        ),
        (
            "ack-lost:status:",
            "status:",
            FaultParseErrorKind::InvalidStatus,
        ),
        (
            "ack-lost:status:200",
            "200",
            FaultParseErrorKind::InvalidStatus,
        ),
        (
            "ack-lost:status:418",
            "418",
            FaultParseErrorKind::NoDefaultCode(418),
        ),
    ] {
        let error = action(text).unwrap_err();
        assert_eq!(
            (error.token.as_str(), &error.kind),
            (token, &kind),
            "{text}"
        );
    }
    let message = action("ack-lost:stall").unwrap_err().to_string();
    assert!(
        message.contains("ack-lost:status:N[,code:C][,retry-after:D] or ack-lost:reset"),
        "{message}"
    );
}

#[test]
fn op_lists_blob_operations_and_prints_back() {
    let text = "name=ambiguous host=*.blob.core.windows.net method=PUT path=/registry/ \
                op=put-blob|append-block|put-block-list \
                action=ack-lost:status:500,code:OperationTimedOut schedule=first:1";
    let rule: FaultRule = text.parse().unwrap();
    assert_eq!(
        rule.ops,
        [BlobOp::PutBlob, BlobOp::AppendBlock, BlobOp::PutBlockList]
    );
    assert_eq!(
        rule.to_string(),
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let token = |text: &str| {
        let error = text.parse::<FaultRule>().unwrap_err();
        assert_eq!(error.kind, FaultParseErrorKind::UnknownOp, "{text}");
        error.token
    };
    assert_eq!(
        token("host=a.example op=put-blob|put_block action=reset"),
        "put_block"
    );
    assert_eq!(token("host=a.example op= action=reset"), "op=");
    assert_eq!(
        token("host=a.example op=put-blob| action=reset"),
        "op=put-blob|"
    );
    let message = "host=a.example op=PutBlob action=reset"
        .parse::<FaultRule>()
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("`PutBlob`: unknown Blob operation"),
        "{message}"
    );
    assert!(message.contains("copy-blob"), "{message}");
    assert_eq!(
        "host=a.example op=copy-blob op=put-blob action=reset"
            .parse::<FaultRule>()
            .unwrap_err()
            .kind,
        FaultParseErrorKind::DuplicateKey
    );
}
