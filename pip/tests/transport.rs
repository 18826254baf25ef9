//! The reqwest transport against small local HTTP servers: how many requests it keeps in
//! flight (all the build asks for on a server that keeps connections; a few on one that closes
//! every connection, as pypiserver's default server does), connection reuse, and how it tells
//! failures apart.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpListener,
};
use url::Url;
use warden_pip::http::{FetchFailure, IndexTransport, Limits, ReqwestIndexTransport};

fn limits(timeout: Duration) -> Limits {
    Limits {
        timeout,
        max_bytes: 1024,
    }
}

/// What a test server saw.
#[derive(Default)]
struct Seen {
    active: AtomicUsize,
    most: AtomicUsize,
    connections: AtomicUsize,
    requests: AtomicUsize,
}

/// Serves `body` after `delay` to every request; HTTP/1.0 closing each connection when
/// `closing`, else HTTP/1.1 keep-alive. Counts connections and concurrent requests.
async fn serve(closing: bool, delay: Duration) -> (Url, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/x", listener.local_addr().unwrap())).unwrap();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counts.connections.fetch_add(1, Ordering::SeqCst);
            let counts = counts.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let mut pending = Vec::new();
                loop {
                    let n = match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&buffer[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        counts.requests.fetch_add(1, Ordering::SeqCst);
                        let now = counts.active.fetch_add(1, Ordering::SeqCst) + 1;
                        counts.most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        counts.active.fetch_sub(1, Ordering::SeqCst);
                        let head = if closing {
                            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        } else {
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        };
                        if stream.write_all(head.as_bytes()).await.is_err() || closing {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

async fn burst(transport: &Arc<ReqwestIndexTransport>, url: &Url, n: usize) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let transport = transport.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let got = transport
                .get(&url, "*/*", limits(Duration::from_secs(10)))
                .await
                .unwrap();
            assert_eq!(&got.body[..], b"ok");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_connections_gets_few_requests_at_once() {
    let (url, seen) = serve(true, Duration::from_millis(30)).await;
    let transport = Arc::new(ReqwestIndexTransport::with_concurrency(8).unwrap());
    // The first answer shows the server closes connections.
    burst(&transport, &url, 1).await;
    burst(&transport, &url, 24).await;
    let most = seen.most.load(Ordering::SeqCst);
    assert!(most <= 4, "{most} requests at once");
    assert_eq!(seen.connections.load(Ordering::SeqCst), 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_connections_gets_the_full_concurrency_over_reused_connections() {
    let (url, seen) = serve(false, Duration::from_millis(30)).await;
    let transport = Arc::new(ReqwestIndexTransport::with_concurrency(8).unwrap());
    burst(&transport, &url, 1).await;
    burst(&transport, &url, 24).await;
    burst(&transport, &url, 24).await;
    let most = seen.most.load(Ordering::SeqCst);
    assert!((5..=8).contains(&most), "{most} requests at once");
    // 49 requests over at most 8 (+1) connections: kept alive and reused.
    assert_eq!(seen.requests.load(Ordering::SeqCst), 49);
    let connections = seen.connections.load(Ordering::SeqCst);
    assert!(connections <= 9, "{connections} connections");
}

#[tokio::test]
async fn refused_connections_and_names_that_do_not_resolve_are_told_apart() {
    let transport = ReqwestIndexTransport::new().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let closed = Url::parse(&format!("http://127.0.0.1:{port}/simple/")).unwrap();
    let failure = transport
        .get(&closed, "*/*", limits(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(failure, FetchFailure::Refused);
    // `.invalid` never resolves (RFC 6761).
    let nowhere = Url::parse("https://index.invalid/simple/").unwrap();
    let failure = transport
        .get(&nowhere, "*/*", limits(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_eq!(failure, FetchFailure::Dns);
}

#[tokio::test]
async fn the_timeout_bounds_silence_not_a_whole_download() {
    // 12 chunks, 150 ms apart: 1.8 s in all, never silent for 0.5 s.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/slow", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n")
                    .await;
                for _ in 0..12 {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                    let _ = stream.flush().await;
                }
            });
        }
    });
    let transport = ReqwestIndexTransport::new().unwrap();
    let got = transport
        .get(&url, "*/*", limits(Duration::from_millis(500)))
        .await
        .unwrap();
    assert_eq!(got.body.len(), 12);
    // Silent for longer than the timeout: a timeout.
    let failure = transport
        .get(&url, "*/*", limits(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert_eq!(failure, FetchFailure::Timeout);
}
