//! The outbox against an in-memory server: outages, lost answers, restarts, test records
//! and files, each delivered once and in order.

use super::{deliver, Delivery, LogWriter, Outbox};
use crate::client::{ClientError, LogOutcome, Part, Uplink};
use labrelay_api::agents::{Finish, FinishStatus, LogAppend, StartRequest, Summary};
use labrelay_api::results::{TestRecord, TestsUpload};
use labrelay_api::Id;
use std::fs;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;

/// An in-memory server with the real log semantics, and a switch to fail calls.
#[derive(Default)]
struct FakeServer {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    log: String,
    starts: u32,
    finishes: Vec<FinishStatus>,
    /// Calls left to fail with a 503 before doing anything.
    down: u32,
    /// Appends left that are stored but answered with a 503 (the answer is lost).
    lose_acks: u32,
    appends: u32,
    tests: Vec<u64>,
    files: Vec<(String, Vec<u8>)>,
}

fn unavailable() -> ClientError {
    ClientError::Status {
        status: 503,
        message: "down".into(),
    }
}

impl FakeServer {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn outage(&self) -> Result<(), ClientError> {
        let mut s = self.state();
        if s.down > 0 {
            s.down -= 1;
            return Err(unavailable());
        }
        Ok(())
    }
}

impl Uplink for FakeServer {
    async fn start(&self, _job: Id, _req: &StartRequest) -> Result<(), ClientError> {
        self.outage()?;
        self.state().starts += 1;
        Ok(())
    }

    async fn log(&self, _job: Id, a: &LogAppend) -> Result<LogOutcome, ClientError> {
        self.outage()?;
        let mut s = self.state();
        s.appends += 1;
        let end = s.log.len() as u64;
        if a.offset > end {
            return Ok(LogOutcome::Gap(end));
        }
        let skip = (end - a.offset) as usize;
        if skip < a.text.len() {
            let tail = a.text[skip..].to_string();
            s.log.push_str(&tail);
        }
        if s.lose_acks > 0 {
            s.lose_acks -= 1;
            return Err(unavailable());
        }
        Ok(LogOutcome::Acked(s.log.len() as u64))
    }

    async fn finish(&self, _job: Id, f: &Finish) -> Result<(), ClientError> {
        self.outage()?;
        self.state().finishes.push(f.status);
        Ok(())
    }

    async fn tests(&self, _job: Id, t: &TestsUpload) -> Result<(), ClientError> {
        self.outage()?;
        self.state().tests.extend(t.tests.iter().map(|r| r.seq));
        Ok(())
    }

    async fn file_state(
        &self,
        _job: Id,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> Result<labrelay_api::results::FileState, ClientError> {
        self.outage()?;
        Ok(labrelay_api::results::FileState {
            name: name.into(),
            size,
            sha256: sha256.into(),
            ..Default::default()
        })
    }

    async fn file_batch(
        &self,
        _job: Id,
        body: Vec<u8>,
    ) -> Result<Vec<labrelay_api::results::BatchOutcome>, ClientError> {
        self.outage()?;
        let nl = body.iter().position(|b| *b == b'\n').unwrap_or(0);
        let manifest: labrelay_api::results::BatchManifest =
            serde_json::from_slice(&body[..nl]).unwrap_or_default();
        let mut rest = &body[nl + 1..];
        let mut out = Vec::new();
        for f in manifest.files {
            let (bytes, tail) = rest.split_at(f.size as usize);
            rest = tail;
            self.state().files.push((f.name.clone(), bytes.to_vec()));
            out.push(labrelay_api::results::BatchOutcome {
                name: f.name.clone(),
                state: Some(labrelay_api::results::FileState {
                    name: f.name,
                    size: f.size,
                    sha256: f.sha256,
                    complete: true,
                    ..Default::default()
                }),
                error: None,
                status: 200,
            });
        }
        Ok(out)
    }

    async fn file_part(
        &self,
        _job: Id,
        part: Part<'_>,
        bytes: Vec<u8>,
    ) -> Result<labrelay_api::results::FileState, ClientError> {
        self.outage()?;
        self.state().files.push((part.name.to_string(), bytes));
        Ok(labrelay_api::results::FileState {
            name: part.name.into(),
            size: part.size,
            sha256: part.sha256.into(),
            complete: true,
            ..Default::default()
        })
    }
}

fn finish() -> Finish {
    Finish {
        status: FinishStatus::Completed,
        exit_code: Some(0),
        summary: Summary::default(),
        reason: String::new(),
    }
}

fn lines(w: &mut LogWriter, from: usize, to: usize) {
    for i in from..to {
        w.append_line(&format!("line {i} ✓ {}", "x".repeat(i % 7)))
            .expect("append");
    }
}

#[tokio::test(start_paused = true)]
async fn an_outage_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let job_dir = dir.path().join("job-7");
    let ob = Outbox::create(&job_dir, Id(7)).expect("outbox");
    let server = Arc::new(FakeServer::default());
    let wake = Arc::new(Notify::new());
    ob.set_start(&StartRequest {
        result_id: Some("20260102030405".into()),
    })
    .expect("start");
    let mut w = ob.writer().expect("writer");

    // Up: the first lines go through.
    lines(&mut w, 0, 10);
    server.state().lose_acks = 2; // two appends are stored, their answers lost
    let task = {
        let (ob, server, wake) = (ob.clone(), server.clone(), wake.clone());
        tokio::spawn(async move { deliver(&ob, &*server, &wake).await })
    };
    wake.notify_one();
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Down for a while, as the run goes on and ends.
    server.state().down = 6;
    lines(&mut w, 10, 5000);
    wake.notify_one();
    tokio::time::sleep(Duration::from_secs(1)).await;
    lines(&mut w, 5000, 6000);
    ob.set_finish(&finish()).expect("finish");
    wake.notify_one();

    assert_eq!(task.await.expect("join"), Delivery::Delivered);
    let local = fs::read_to_string(ob.log_path()).expect("log");
    let s = server.state();
    assert_eq!(
        s.log, local,
        "the server's log is the agent's, byte for byte"
    );
    assert!(s.appends > 3, "several appends: {}", s.appends);
    assert_eq!(s.starts, 1);
    assert_eq!(s.finishes, [FinishStatus::Completed]);
    assert!(ob.is_closed());
    assert!(ob.pending_finish().expect("read").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_restarted_agent_resumes_from_the_acknowledged_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let job_dir = dir.path().join("job-9");
    let server = FakeServer::default();
    let wake = Notify::new();
    {
        let ob = Outbox::create(&job_dir, Id(9)).expect("outbox");
        let mut w = ob.writer().expect("writer");
        lines(&mut w, 0, 100);
        // The first pass sends everything, then the agent "dies" waiting for more.
        let first = tokio::time::timeout(Duration::from_secs(2), deliver(&ob, &server, &wake));
        assert!(first.await.is_err(), "still waiting for the finish");
        lines(&mut w, 100, 200);
        ob.set_finish(&finish()).expect("finish");
    }
    // The server lost its last append's worth; the new agent is told so by a 409.
    {
        let mut s = server.state();
        let keep = s.log.len() - 30;
        s.log.truncate(keep);
    }
    let ob = Outbox::open(&job_dir).expect("reopened");
    assert_eq!(ob.job(), Id(9));
    assert!(ob.acked().expect("acked") > 0);
    assert_eq!(deliver(&ob, &server, &wake).await, Delivery::Delivered);
    let local = fs::read_to_string(ob.log_path()).expect("log");
    assert_eq!(server.state().log, local);
    assert_eq!(server.state().finishes.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn test_records_and_files_go_before_the_finish_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let job_dir = dir.path().join("job-5");
    let ob = Outbox::create(&job_dir, Id(5)).expect("outbox");
    fs::create_dir_all(ob.result_dir()).expect("result dir");
    fs::write(ob.result_dir().join("start.txt"), "hello\n").expect("file");
    fs::write(ob.result_dir().join("a b.cap"), [0u8, 1, 2]).expect("file");
    let server = FakeServer::default();
    for seq in [1, 2, 1] {
        ob.append_test(&TestRecord {
            seq,
            name: format!("t{seq}"),
            result: "pass".into(),
            ..TestRecord::default()
        })
        .expect("test");
    }
    let now = SystemTime::now();
    ob.queue_file("start.txt", 6, now).expect("queue");
    ob.queue_file("a b.cap", 3, now).expect("queue");
    ob.queue_file("gone.txt", 1, now).expect("queue");
    ob.set_finish(&finish()).expect("finish");
    server.state().down = 3;
    let wake = Notify::new();
    assert_eq!(deliver(&ob, &server, &wake).await, Delivery::Delivered);
    let s = server.state();
    assert_eq!(s.tests, [1, 2, 1]);
    let names: Vec<&str> = s.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["start.txt", "a b.cap"],
        "a vanished file is skipped"
    );
    assert_eq!(s.files[1].1, [0u8, 1, 2]);
    assert_eq!(s.finishes.len(), 1);
    let queued = ob.queued_files().expect("queued");
    assert_eq!(queued.get("a b.cap").map(|q| q.0), Some(3));
}
