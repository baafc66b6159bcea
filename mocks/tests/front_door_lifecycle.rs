//! Starting and stopping: a taken port is a typed error naming it, and a
//! stopped front door gives its port back.

mod support;

use regmatrix_mocks::front_door::{FrontDoor, FrontDoorConfig, FrontDoorError};

#[tokio::test]
async fn a_port_in_use_is_a_typed_error_naming_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let error = FrontDoor::start(FrontDoorConfig::new(support::ca()).with_port(port)).unwrap_err();
    assert!(
        matches!(error, FrontDoorError::PortInUse { port: p } if p == port),
        "{error:?}"
    );
    assert!(error.to_string().contains(&port.to_string()));
}

#[test]
fn starting_outside_a_runtime_is_a_typed_error() {
    let error = FrontDoor::start(FrontDoorConfig::new(support::ca())).unwrap_err();
    assert!(matches!(error, FrontDoorError::NoRuntime), "{error:?}");
}

#[tokio::test]
async fn shutdown_frees_the_port_and_cuts_open_connections() {
    let front_door = FrontDoor::start(FrontDoorConfig::new(support::ca())).unwrap();
    let addr = front_door.addr();
    assert_eq!(
        front_door.proxy_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert!(addr.ip().is_loopback());

    // An idle client connection must not keep the front door alive.
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), front_door.shutdown())
        .await
        .expect("shutdown must not hang on idle connections");

    std::net::TcpListener::bind(addr).expect("the port is free after shutdown");
    drop(idle);
}

#[tokio::test]
async fn dropping_stops_accepting() {
    let front_door = FrontDoor::start(FrontDoorConfig::new(support::ca())).unwrap();
    let addr = front_door.addr();
    drop(front_door);
    // The accept loop ends at its next poll.
    let mut freed = false;
    for _ in 0..50 {
        if std::net::TcpListener::bind(addr).is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(freed, "the port stays bound after drop");
}
