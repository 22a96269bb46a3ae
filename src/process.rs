//! Acceptor processes in any language, driven deterministically over stdin and stdout.
//!
//! [`ProcessAcceptors`] is an [`Implementation`] whose acceptors are processes of a user's
//! command (run by `sh -c`) speaking the wire protocol of `docs/PROTOCOL.md` ("The
//! acceptor"), and whose proposers are the built-in ones. Every delivery of a prepare or an
//! accept to acceptor `aK` is one request line written to its process and exactly one reply
//! line read back; the reply then enters the simulated network like any message (drops,
//! duplicates and reordering apply). Nothing else talks to the process, and the harness
//! waits for each reply before the next step, so the schedule alone decides what happens:
//! the same seed with a deterministic acceptor gives the same execution, byte for byte.
//!
//! Ballots go on the wire as `proposal_n`, the simulator's ballot number itself
//! (`round * 16 + proposer slot`): unique per proposer and ordered exactly as ballots are.
//! Values go as the strings `"v1"`..`"vP"`.
//!
//! The checker judges the process by its replies (see [`crate::observe`]): a promise is
//! what `paxos_promise` said, with the vote it reported; a vote is what `paxos_accepted`
//! echoed. A reply that is not exactly one well-formed line answering the request (garbage,
//! the wrong `in_reply_to`, a second line, silence past the reply timeout, an exit) is a
//! [`RoleFault`], which the simulator reports as the `acceptor-protocol` finding.
//!
//! Processes are fresh for every execution (and so for every shrinking candidate and every
//! replay): each gets its own empty directory in `PAXOS_DATA_DIR`, kept across that
//! acceptor's restarts and removed afterwards. To hide start-up time, the next execution's
//! process for each acceptor is started while the current one runs. Every process is
//! started in its own process group and killed with it when its acceptor is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::ballot::{AcceptorId, Ballot, Value};
use crate::protocol::{Msg, Proposer, Protocol};
use crate::roles::{
    AcceptorProcesses, AcceptorRole, AcceptorView, FaultKind, Implementation, RoleFault,
};

/// How long a process may take to start and answer `init` (at least; the reply timeout
/// when that is longer).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reply lines longer than this are a protocol fault (a reply is a few hundred bytes).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// What a crash does to an acceptor process.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CrashMode {
    /// The process keeps running and keeps its memory; messages to it wait until it is
    /// back (a crash with durable state, as the simulator models it).
    Pause,
    /// The process is killed and started again on the same `PAXOS_DATA_DIR`: only what it
    /// wrote to disk survives.
    Restart,
}

impl CrashMode {
    pub fn name(self) -> &'static str {
        match self {
            CrashMode::Pause => "pause",
            CrashMode::Restart => "restart",
        }
    }
}

#[derive(Debug)]
struct Settings {
    cmd: String,
    crash: CrashMode,
    reply_timeout: Duration,
}

/// Acceptor processes of one command, with the built-in proposers driving them.
#[derive(Debug)]
pub struct ProcessAcceptors {
    settings: Arc<Settings>,
    /// Per acceptor id, a process started ahead of need for the next execution, shared by
    /// every clone: a proptest case, a shrink or a replay each drive a fresh clone in a
    /// fresh simulator, and with a pool per clone the spares each one started for a next
    /// execution it never ran were killed unused, doubling the starts. A spare is a fresh
    /// process that nothing has talked to, so which execution takes it changes nothing;
    /// but only the thread that started it may take it, since it dies with that thread.
    /// Campaign threads take from it once per execution, which a process start dwarfs.
    spare: Arc<Mutex<Vec<Vec<Proc>>>>,
    /// Whether to start spares at all (see [`ProcessAcceptors::without_spares`]).
    spares: bool,
}

/// Spares kept per acceptor id: enough for each thread of a campaign on a few cores to
/// find one for its next execution (in a single slot the threads' spares would replace
/// each other), and for a swarm's other cluster sizes to keep theirs a while.
const SPARES_PER_ACCEPTOR: usize = 4;

impl Clone for ProcessAcceptors {
    /// The same command, settings and pool of spare processes (see `spare`).
    fn clone(&self) -> ProcessAcceptors {
        ProcessAcceptors {
            settings: self.settings.clone(),
            spare: self.spare.clone(),
            spares: self.spares,
        }
    }
}

impl ProcessAcceptors {
    pub fn new(cmd: &str, crash: CrashMode, reply_timeout: Duration) -> ProcessAcceptors {
        ProcessAcceptors {
            settings: Arc::new(Settings {
                cmd: cmd.to_string(),
                crash,
                reply_timeout,
            }),
            spare: Arc::new(Mutex::new(Vec::new())),
            spares: true,
        }
    }

    /// The same acceptors, started only when an execution needs them: for a single
    /// execution (a `replay` that does not shrink), whose spares would be started only to
    /// be killed, costing a slow-starting acceptor (a JVM) its start-up on every core.
    pub fn without_spares(mut self) -> ProcessAcceptors {
        self.spares = false;
        self
    }

    pub fn command(&self) -> &str {
        &self.settings.cmd
    }

    pub fn crash_mode(&self) -> CrashMode {
        self.settings.crash
    }

    pub fn reply_timeout(&self) -> Duration {
        self.settings.reply_timeout
    }

    /// The ceiling that process start-up alone sets: executions per second when each
    /// "execution" only starts `acceptors` processes, waits for their `init_ok` and ends
    /// them, one execution after another. `paxos-safety bench` prints the harness's rate
    /// beside it.
    pub fn startup_ceiling(&self, acceptors: u16, executions: u64) -> Result<f64, String> {
        // The clock measures; it shapes nothing.
        #[allow(clippy::disallowed_methods)]
        let start = std::time::Instant::now();
        for _ in 0..executions {
            let mut procs: Vec<Proc> = (0..acceptors)
                .map(|a| Proc::spawn(&self.settings, acceptors, a, None))
                .collect();
            for (a, p) in procs.iter_mut().enumerate() {
                p.finish_init(a as AcceptorId, self.settings.reply_timeout)
                    .map_err(|f| f.to_string())?;
            }
        }
        Ok(executions as f64 / start.elapsed().as_secs_f64().max(1e-9))
    }

    /// Starts one acceptor of a 1-acceptor cluster, checks its `init` handshake and one
    /// prepare, and ends it: a command that cannot even do that is a usage error, better
    /// reported before a campaign than as thousands of findings.
    pub fn probe(&self) -> Result<(), String> {
        let cluster = Protocol::majority(1, None);
        let mut a = ProcessAcceptor::start(self.settings.clone(), &cluster, 0);
        // Any refusal of a fresh acceptor's first prepare gets the message below, which
        // names the likeliest cause, rather than the claim check's.
        a.check_claims = false;
        let prepare = Msg::Prepare {
            ballot: Ballot::new(1, 1),
        };
        let answer = a.on_message(&cluster, &prepare);
        // Quote the wire, not our decoding of it: the user debugs their own output.
        let said = match a.last_reply() {
            Some(line) => format!("`{}`", line.trim_end()),
            None => "nothing".to_string(),
        };
        match answer {
            Ok(Some(Msg::Promise { .. })) => Ok(()),
            Ok(Some(Msg::Nack { promised, .. })) => Err(format!(
                "the acceptor command refused the first prepare of a fresh acceptor (ballot \
                 1.1, proposal_n {}), saying it had promised {} (highest_promised {}): {said}; \
                 a fresh acceptor has promised nothing (does it read state left over from \
                 another run instead of its own PAXOS_DATA_DIR?)",
                prepare.ballot().0,
                promised.sim_label(),
                promised.0,
            )),
            Ok(_) => Err(format!(
                "the acceptor command answered the first prepare of a fresh acceptor (ballot \
                 1.1, proposal_n {}) with {said}, not a promise",
                prepare.ballot().0,
            )),
            Err(fault) => Err(format!("the acceptor command does not work: {fault}")),
        }
    }
}

impl Implementation for ProcessAcceptors {
    type Acceptor = ProcessAcceptor;
    type Proposer = Proposer;

    fn acceptor(&mut self, cluster: &Protocol, id: AcceptorId) -> ProcessAcceptor {
        let i = id as usize;
        // Starting processes happens outside the lock, so threads do not queue behind it.
        let taken = {
            let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
            if spare.len() <= i {
                spare.resize_with(i + 1, Vec::new);
            }
            // Spares of another cluster size (a swarm's other shape) are left for it, and
            // another thread's are not taken: they die with that thread (PDEATHSIG), and
            // a campaign's worker threads end while the pool lives on.
            let here = std::thread::current().id();
            let fits = spare[i]
                .iter()
                .rposition(|p| p.cluster_size == cluster.acceptors && p.spawned_by == here);
            fits.map(|at| spare[i].swap_remove(at))
        };
        let acceptor = match taken {
            Some(p) => ProcessAcceptor::with(self.settings.clone(), id, p),
            None => ProcessAcceptor::start(self.settings.clone(), cluster, id),
        };
        if !self.spares {
            return acceptor;
        }
        // The next execution's process starts now, while this one runs.
        let next = Proc::spawn(&self.settings, cluster.acceptors, id, None);
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        // Full: the oldest goes (killed on drop), so that what is kept is the shapes run
        // last, should a swarm's executions change the cluster's size.
        if spare[i].len() == SPARES_PER_ACCEPTOR {
            spare[i].remove(0);
        }
        spare[i].push(next);
        acceptor
    }

    fn proposer(&mut self, _cluster: &Protocol, id: u8, value: Value) -> Proposer {
        Proposer::new(id, value)
    }

    /// Files found with processes name their command instead (`acceptor_cmd`).
    fn name(&self) -> Option<String> {
        None
    }

    fn acceptor_processes(&self) -> Option<AcceptorProcesses> {
        Some(AcceptorProcesses {
            command: self.settings.cmd.clone(),
            crash: self.settings.crash,
            reply_timeout: self.settings.reply_timeout,
        })
    }
}

/// One line from a process's stdout, as its reader thread saw it.
enum Line {
    Text(String),
    TooLong,
    Eof,
}

/// A running process: its group, its stdin, and the lines its reader thread forwards.
#[derive(Debug)]
struct Proc {
    /// `None` when it could not be started (`spawn_error` says why).
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    /// `None` only when no directory could be made (`spawn_error` says so).
    dir: Option<Arc<DataDir>>,
    cluster_size: u16,
    /// The thread that started it: the kernel kills it when that thread ends (see
    /// `PR_SET_PDEATHSIG` in `spawn`), so only that thread may take it as a spare.
    spawned_by: std::thread::ThreadId,
    /// The `init` reply has not been read yet (it is read before the first request, so
    /// that start-up overlaps with other work).
    init_pending: bool,
    spawn_error: Option<String>,
    /// The last lines the process wrote to stderr, for the fault message of a process
    /// that exits (a traceback's last line is usually the whole story).
    stderr: Arc<StderrTail>,
}

/// The last few lines of a process's stderr, kept by a thread that reads them.
#[derive(Debug, Default)]
struct StderrTail {
    lines: Mutex<std::collections::VecDeque<String>>,
    /// The last line that did not start with white space and names an error, an
    /// exception or a panic, or failing that the last line that did not start with white
    /// space. A Java stack trace ends with its frames ("\tat ..."), indented, and its
    /// exception is the unindented line above them ("Caused by: ..." for the root cause);
    /// Node's ends with a footer ("Node.js v20.1.0") below its frames and the error above
    /// them; Python's traceback ends with it.
    headline: Mutex<Option<String>>,
    /// The stream ended: every line it had is in `lines`.
    done: std::sync::atomic::AtomicBool,
}

impl StderrTail {
    const KEEP: usize = 3;
    const LINE_CHARS: usize = 200;

    fn read(&self, stderr: impl Read) {
        let mut reader = BufReader::new(stderr);
        loop {
            let mut buf = Vec::new();
            // Bounded, like replies: a process that floods stderr costs nothing but time.
            match (&mut reader).take(64 << 10).read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf);
                    let text = text.trim_end();
                    if text.trim().is_empty() {
                        continue;
                    }
                    let line: String = text.chars().take(Self::LINE_CHARS).collect();
                    if !text.starts_with(char::is_whitespace) {
                        let mut headline = self.headline.lock().unwrap_or_else(|e| e.into_inner());
                        if names_an_error(&line) || !headline.as_deref().is_some_and(names_an_error)
                        {
                            *headline = Some(line.clone());
                        }
                    }
                    let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
                    if lines.len() == Self::KEEP {
                        lines.pop_front();
                    }
                    lines.push_back(line);
                }
            }
        }
        self.done.store(true, Ordering::Release);
    }

    /// `; its stderr ended with: ...`, or nothing when it wrote none. Waits a little for
    /// the reader to reach the end of a stream whose process has exited.
    fn suffix(&self) -> String {
        for _ in 0..50 {
            if self.done.load(Ordering::Acquire) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.is_empty() {
            return String::new();
        }
        let mut joined: Vec<&str> = lines.iter().map(String::as_str).collect();
        let headline = self.headline.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = headline.as_deref().filter(|h| !joined.contains(h)) {
            joined.splice(0..0, [h, "..."]);
        }
        format!("; its stderr ended with: {}", joined.join(" | "))
    }
}

/// Whether a stderr line names an error, an exception or a panic: the headline a quote
/// leads with (see [`StderrTail`]).
fn names_an_error(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    ["error", "exception", "panic"]
        .iter()
        .any(|w| lower.contains(w))
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Line::Text(t) => write!(f, "{t:?}"),
            Line::TooLong => f.write_str("<too long>"),
            Line::Eof => f.write_str("<eof>"),
        }
    }
}

/// A fresh empty directory for one acceptor of one execution, removed when the last
/// process using it is gone.
#[derive(Debug)]
struct DataDir(PathBuf);

impl DataDir {
    fn fresh() -> std::io::Result<DataDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("paxos-safety-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(DataDir(path))
    }
}

/// Removes every data directory of this process still there: a Ctrl-C that ends the
/// process at once ([`crate::interrupt`]) runs no destructor. They are found by name
/// (`paxos-safety-PID-N` in the temporary directory), so none needs to be registered.
pub(crate) fn remove_data_dirs() {
    let prefix = format!("paxos-safety-{}-", std::process::id());
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name.to_str().and_then(|n| n.strip_prefix(&prefix));
        if ours.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn node_name(id: AcceptorId) -> String {
    format!("a{}", u32::from(id) + 1)
}

impl Proc {
    /// Starts `cmd` for acceptor `id` and writes its `init`; the reply is read later.
    /// Failures are kept and reported at the first request.
    fn spawn(
        settings: &Settings,
        acceptors: u16,
        id: AcceptorId,
        dir: Option<Arc<DataDir>>,
    ) -> Proc {
        let (tx, lines) = mpsc::channel();
        let dir = match dir {
            Some(d) => d,
            None => match DataDir::fresh() {
                Ok(d) => Arc::new(d),
                Err(e) => return Proc::failed(lines, acceptors, format!("no data directory: {e}")),
            },
        };
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&settings.cmd)
            .env("PAXOS_DATA_DIR", &dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own group, so that killing it also kills whatever `sh -c` started.
            command.process_group(0);
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl(2) is async-signal-safe and touches no memory of ours. It makes
            // the kernel kill the child if the harness dies first (Ctrl-C twice, a kill),
            // since a group of its own no longer gets the terminal's signals.
            unsafe {
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
        }
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => {
                let mut p = Proc::failed(
                    lines,
                    acceptors,
                    format!("cannot start 'sh -c {}': {e}", settings.cmd),
                );
                p.dir = Some(dir);
                return p;
            }
        };
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || forward_lines(stdout, tx));
        let tail = Arc::new(StderrTail::default());
        if let Some(stderr) = child.stderr.take() {
            let tail = tail.clone();
            std::thread::spawn(move || tail.read(stderr));
        }
        let mut stdin = child.stdin.take();
        let ids: Vec<String> = (0..acceptors).map(node_name).collect();
        let init = json!({"src": "c0", "dest": node_name(id), "body": {
            "type": "init", "msg_id": 0, "node_id": node_name(id), "node_ids": ids}});
        if let Some(s) = stdin.as_mut() {
            // A process that already died is noticed when its reply is read.
            let _ = writeln!(s, "{init}").and_then(|_| s.flush());
        }
        Proc {
            child: Some(child),
            stdin,
            lines,
            dir: Some(dir),
            cluster_size: acceptors,
            spawned_by: std::thread::current().id(),
            init_pending: true,
            spawn_error: None,
            stderr: tail,
        }
    }

    fn failed(lines: Receiver<Line>, acceptors: u16, error: String) -> Proc {
        Proc {
            child: None,
            stdin: None,
            lines,
            dir: None,
            cluster_size: acceptors,
            spawned_by: std::thread::current().id(),
            init_pending: false,
            spawn_error: Some(error),
            stderr: Arc::default(),
        }
    }

    /// Why the process is gone, for a fault message.
    fn exit_status(&mut self) -> String {
        for _ in 0..50 {
            let Some(child) = self.child.as_mut() else {
                break;
            };
            if let Ok(Some(status)) = child.try_wait() {
                return format!("exited ({status}{})", self.stderr.suffix());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        "closed its stdout".to_string()
    }

    /// Reads the next line within `timeout`.
    fn read(&mut self, timeout: Duration, what: &str) -> Result<String, RoleFault> {
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(t)) => Ok(t),
            Ok(Line::TooLong) => Err(RoleFault::of(
                FaultKind::TooLong,
                format!("its reply to {what} is longer than {MAX_REPLY_BYTES} bytes"),
                None,
            )),
            Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                let why = self.exit_status();
                Err(RoleFault::of(
                    FaultKind::Exited,
                    format!("it {why} instead of answering {what}"),
                    None,
                ))
            }
            // Start-up has its own, longer limit, and a process that never answers init
            // most likely does not know it must.
            Err(RecvTimeoutError::Timeout) if what == "init" => Err(RoleFault::of(
                FaultKind::Start,
                format!(
                    "no reply to init within {:.1} s of starting (the first line it reads is \
                     init, msg_id 0; it must answer init_ok with in_reply_to 0 before any \
                     prepare or accept, and flush its stdout after every line: a buffered \
                     stream holds the reply back)",
                    timeout.as_secs_f64()
                ),
                None,
            )),
            Err(RecvTimeoutError::Timeout) => Err(RoleFault::of(
                FaultKind::NoReply,
                format!(
                    "no reply to {what} within the reply timeout of {:.1} s",
                    timeout.as_secs_f64()
                ),
                None,
            )),
        }
    }

    fn finish_init(&mut self, id: AcceptorId, timeout: Duration) -> Result<(), RoleFault> {
        if let Some(e) = &self.spawn_error {
            return Err(RoleFault::of(FaultKind::Start, e.clone(), None));
        }
        if !self.init_pending {
            return Ok(());
        }
        self.init_pending = false;
        // Start-up is not a reply: an interpreter on a loaded machine may take seconds.
        let line = self.read(timeout.max(INIT_TIMEOUT), "init")?;
        let body = parse_body(&line)?;
        let ok = body.get("type").and_then(Json::as_str) == Some("init_ok")
            && body.get("in_reply_to").and_then(Json::as_u64) == Some(0);
        if !ok {
            return Err(RoleFault::of(
                FaultKind::Start,
                format!(
                    "{} answered init with something other than init_ok in reply to 0",
                    node_name(id)
                ),
                Some(line),
            ));
        }
        Ok(())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin = None;
        let Some(child) = self.child.as_mut() else {
            return;
        };
        #[cfg(target_os = "linux")]
        {
            // The whole group: `sh -c` may have forked the real acceptor.
            // SAFETY: kill(2) with a negative pid signals a process group; no memory is
            // touched. The group id is the child's pid (process_group(0) above).
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
        }
        let _ = child.kill();
        // Reaping waits for the kernel to tear the process down; a thread of its own does
        // that, so the next execution need not wait for it.
        if let Some(child) = self.child.take() {
            reap(child);
        }
    }
}

/// Hands a killed child to the one reaper thread, which waits for it (no zombies).
fn reap(child: Child) {
    static REAPER: Mutex<Option<mpsc::Sender<Child>>> = Mutex::new(None);
    let mut guard = REAPER.lock().unwrap_or_else(|e| e.into_inner());
    let sender = guard.get_or_insert_with(|| {
        let (tx, rx) = mpsc::channel::<Child>();
        std::thread::spawn(move || {
            for mut c in rx {
                let _ = c.wait();
            }
        });
        tx
    });
    if let Err(mpsc::SendError(mut c)) = sender.send(child) {
        let _ = c.wait();
    }
}

fn forward_lines(stdout: impl Read, tx: mpsc::Sender<Line>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut buf = Vec::new();
        match (&mut reader)
            .take(MAX_REPLY_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => {
                let _ = tx.send(Line::Eof);
                return;
            }
            Ok(_) => {
                if buf.len() > MAX_REPLY_BYTES && buf.last() != Some(&b'\n') {
                    let _ = tx.send(Line::TooLong);
                    return;
                }
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue; // blank lines are no message
                }
                let text = String::from_utf8_lossy(&buf).into_owned();
                if tx.send(Line::Text(text)).is_err() {
                    return;
                }
            }
        }
    }
}

fn parse_body(line: &str) -> Result<serde_json::Map<String, Json>, RoleFault> {
    let v: Json = serde_json::from_str(line).map_err(|e| {
        RoleFault::of(
            FaultKind::NotJson,
            // Most often a log line: the one place a user's print goes wrong.
            format!("its reply is not JSON ({e}); stdout carries replies only, logs go to stderr"),
            Some(line.to_string()),
        )
    })?;
    match v.get("body").and_then(Json::as_object) {
        Some(b) => Ok(b.clone()),
        None => Err(RoleFault::of(
            FaultKind::WrongReply,
            "its reply has no body object",
            Some(line.to_string()),
        )),
    }
}

/// An acceptor that is a process. See the module documentation.
#[derive(Debug)]
pub struct ProcessAcceptor {
    settings: Arc<Settings>,
    id: AcceptorId,
    cluster_size: u16,
    proc: Option<Proc>,
    /// Kept across restarts; `None` when it could not be made (its process never started).
    dir: Option<Arc<DataDir>>,
    next_msg_id: u64,
    last_reply: Option<String>,
    /// What its replies said it holds: the traces' view.
    seen: AcceptorView,
    /// Every ballot sent to it in this execution (across restarts), in the order first
    /// sent: a promise it claims in a refusal must be one of them.
    ballots_sent: Vec<Ballot>,
    /// Whether a refusal's claimed promise is checked against `ballots_sent`: not in the
    /// start-up probe, which says more about a refusal of its one prepare.
    check_claims: bool,
    /// Whether its process was restarted in this execution (for the hint of a lowered
    /// promise: lost state).
    restarted: bool,
}

impl ProcessAcceptor {
    fn start(settings: Arc<Settings>, cluster: &Protocol, id: AcceptorId) -> ProcessAcceptor {
        let p = Proc::spawn(&settings, cluster.acceptors, id, None);
        ProcessAcceptor::with(settings, id, p)
    }

    fn with(settings: Arc<Settings>, id: AcceptorId, p: Proc) -> ProcessAcceptor {
        ProcessAcceptor {
            settings,
            id,
            cluster_size: p.cluster_size,
            dir: p.dir.clone(),
            proc: Some(p),
            next_msg_id: 1,
            last_reply: None,
            seen: AcceptorView::default(),
            ballots_sent: Vec::new(),
            check_claims: true,
            restarted: false,
        }
    }

    fn fault(&self, kind: FaultKind, problem: impl std::fmt::Display, line: &str) -> RoleFault {
        RoleFault::of(kind, problem.to_string(), Some(line.to_string()))
    }

    /// Sends `msg` and turns the one reply line into the message it means.
    fn exchange(&mut self, msg: &Msg) -> Result<Msg, RoleFault> {
        let timeout = self.settings.reply_timeout;
        let id = self.id;
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        let (what, body) = match *msg {
            Msg::Prepare { ballot } => (
                "paxos_prepare",
                json!({"type": "paxos_prepare", "msg_id": msg_id, "proposal_n": ballot.0}),
            ),
            Msg::Accept { ballot, value } => (
                "paxos_accept",
                json!({"type": "paxos_accept", "msg_id": msg_id, "proposal_n": ballot.0,
                       "value": value.to_string()}),
            ),
            _ => unreachable!("only prepares and accepts are sent to acceptors"),
        };
        let proc = self.proc.as_mut().ok_or_else(|| {
            RoleFault::of(FaultKind::Other, "it was sent a message while killed", None)
        })?;
        proc.finish_init(id, timeout)?;
        // A line waiting now answered nothing we asked: a second reply to the last request.
        match proc.lines.try_recv() {
            Ok(Line::Text(extra)) => {
                return Err(RoleFault::of(
                    FaultKind::ExtraLine,
                    "it wrote a second line after its reply to the previous request",
                    Some(extra),
                ))
            }
            Ok(Line::TooLong) => {
                return Err(RoleFault::of(
                    FaultKind::TooLong,
                    "it wrote an over-long extra line",
                    None,
                ))
            }
            Ok(Line::Eof) | Err(TryRecvError::Disconnected) => {
                let why = proc.exit_status();
                return Err(RoleFault::of(
                    FaultKind::Exited,
                    format!("it {why} before {what}"),
                    None,
                ));
            }
            Err(TryRecvError::Empty) => {}
        }
        if !self.ballots_sent.contains(&msg.ballot()) {
            self.ballots_sent.push(msg.ballot());
        }
        let request = json!({"src": "c1", "dest": node_name(id), "body": body});
        let sent = match proc.stdin.as_mut() {
            Some(s) => writeln!(s, "{request}").and_then(|_| s.flush()),
            None => Err(std::io::Error::other("no stdin")),
        };
        if sent.is_err() {
            let why = proc.exit_status();
            return Err(RoleFault::of(
                FaultKind::Exited,
                format!("it {why} before {what}"),
                None,
            ));
        }
        let line = proc.read(timeout, what)?;
        // A reply written twice is caught above when its copy is already waiting, but the
        // copy can also arrive after the next request went out and be read as its answer.
        // Byte for byte the previous reply, it answers nothing new (each request has its own
        // msg_id), so say what it is rather than how it fails to parse; msg_id 1 is the first
        // request of a fresh process, whose previous reply was its predecessor's.
        let repeated = msg_id > 1 && self.last_reply.as_deref() == Some(line.as_str());
        self.last_reply = Some(line.clone());
        if repeated {
            return Err(self.fault(
                FaultKind::ExtraLine,
                "it wrote a second line for one request (its previous reply again, read as the \
                 answer to the next request)",
                &line,
            ));
        }
        let reply = self.parse_reply(msg, msg_id, &line)?;
        Ok(reply)
    }

    /// An acceptor sets `highest_promised` only from a request's `proposal_n`, so the one a
    /// refusal claims was sent to it. One that was not (a number it made up, a field read
    /// from elsewhere) would send the proposer above a promise nobody made: a finding. Nor
    /// does a promise go down: one below what its earlier replies showed (a promise, or a
    /// vote, which promises its ballot) is a finding too, whether it echoes the request's
    /// `proposal_n` or lost its state on a restart.
    fn check_claimed_promise(
        &self,
        refused: Ballot,
        promised: Ballot,
        line: &str,
    ) -> Result<(), RoleFault> {
        if !self.check_claims {
            return Ok(());
        }
        if let Some(shown) = self.seen.promised.filter(|&shown| promised < shown) {
            return Err(self.fault(
                FaultKind::Contradiction,
                format!(
                    "it refused proposal_n {} with highest_promised {}, below the promise its \
                     earlier replies showed ({}{}): a promise never goes down",
                    refused.0,
                    promised.0,
                    shown.0,
                    if self.restarted {
                        "; it restarted since: did it keep its promise in PAXOS_DATA_DIR?"
                    } else {
                        ""
                    }
                ),
                line,
            ));
        }
        if self.ballots_sent.contains(&promised) {
            return Ok(());
        }
        let sent: Vec<String> = self.ballots_sent.iter().map(|b| b.0.to_string()).collect();
        Err(self.fault(
            FaultKind::Contradiction,
            format!(
                "it refused proposal_n {} with highest_promised {}, which it was never sent (it \
                 was sent proposal_n {}): an acceptor promises only ballots it receives",
                refused.0,
                promised.0,
                sent.join(", ")
            ),
            line,
        ))
    }

    fn parse_reply(&mut self, msg: &Msg, msg_id: u64, line: &str) -> Result<Msg, RoleFault> {
        let body = parse_body(line)?;
        let kind = body.get("type").and_then(Json::as_str).unwrap_or("");
        let in_reply_to = body.get("in_reply_to").and_then(Json::as_u64);
        if msg_id > 0 && in_reply_to == Some(msg_id - 1) {
            // A stray line after the last reply can arrive just after this request went
            // out; it answers the request before, so name that, not this one.
            return Err(self.fault(
                FaultKind::ExtraLine,
                format!(
                    "it wrote a second line for its previous request (in_reply_to {}), read \
                     as the answer to this one",
                    msg_id - 1
                ),
                line,
            ));
        }
        if in_reply_to != Some(msg_id) {
            return Err(self.fault(
                FaultKind::WrongReply,
                format!("its reply is not in_reply_to {msg_id}, the request's msg_id"),
                line,
            ));
        }
        let field_ballot = |name: &str| -> Result<Ballot, RoleFault> {
            body.get(name)
                .and_then(Json::as_u64)
                .map(Ballot)
                .ok_or_else(|| {
                    self.fault(
                        FaultKind::WrongReply,
                        format!("its reply has no integer {name}"),
                        line,
                    )
                })
        };
        let field_value = |name: &str| -> Result<Value, RoleFault> {
            body.get(name)
                .and_then(Json::as_str)
                .and_then(|s| s.strip_prefix('v'))
                .and_then(|k| k.parse::<u32>().ok())
                .map(Value)
                .ok_or_else(|| {
                    self.fault(
                        FaultKind::WrongReply,
                        format!("its {name} is not a value a proposer sent (\"v1\"..)"),
                        line,
                    )
                })
        };
        match (*msg, kind) {
            (Msg::Prepare { ballot }, "paxos_promise") => {
                match body.get("promised").and_then(Json::as_bool) {
                    Some(true) => {
                        let n = body.get("accepted_n").filter(|v| !v.is_null());
                        let v = body.get("accepted_value").filter(|v| !v.is_null());
                        let accepted = match (n, v) {
                            (None, None) => None,
                            (Some(_), Some(_)) => {
                                Some((field_ballot("accepted_n")?, field_value("accepted_value")?))
                            }
                            _ => {
                                return Err(self.fault(
                                    FaultKind::WrongReply,
                                    "its promise has only one of accepted_n and accepted_value",
                                    line,
                                ))
                            }
                        };
                        self.seen.promised = self.seen.promised.max(Some(ballot));
                        Ok(Msg::Promise { ballot, accepted })
                    }
                    Some(false) => {
                        let promised = field_ballot("highest_promised")?;
                        // The table refuses a prepare only at or below the promise: a lower
                        // one says the acceptor refused what it should have promised.
                        if promised < ballot {
                            return Err(self.fault(
                                FaultKind::Contradiction,
                                format!(
                                    "it refused proposal_n {} with a highest_promised below it \
                                     (a prepare is refused only at or below the promise)",
                                    ballot.0
                                ),
                                line,
                            ));
                        }
                        self.check_claimed_promise(ballot, promised, line)?;
                        Ok(Msg::Nack { ballot, promised })
                    }
                    None => Err(self.fault(
                        FaultKind::WrongReply,
                        "its paxos_promise has no boolean promised",
                        line,
                    )),
                }
            }
            (Msg::Accept { ballot, .. }, "paxos_accepted") => {
                match body.get("accepted").and_then(Json::as_bool) {
                    Some(true) => {
                        // The vote is what the reply says it is: the checker judges that.
                        let (b, v) = (field_ballot("proposal_n")?, field_value("value")?);
                        self.seen.accepted = Some((b, v));
                        self.seen.promised = self.seen.promised.max(Some(b));
                        Ok(Msg::Accepted {
                            ballot: b,
                            value: v,
                        })
                    }
                    Some(false) => {
                        let promised = field_ballot("highest_promised")?;
                        // An accept is refused only below the promise.
                        if promised <= ballot {
                            return Err(self.fault(
                                FaultKind::Contradiction,
                                format!(
                                    "it refused proposal_n {} with a highest_promised not above \
                                     it (an accept is refused only below the promise)",
                                    ballot.0
                                ),
                                line,
                            ));
                        }
                        self.check_claimed_promise(ballot, promised, line)?;
                        Ok(Msg::Nack { ballot, promised })
                    }
                    None => Err(self.fault(
                        FaultKind::WrongReply,
                        "its paxos_accepted has no boolean accepted",
                        line,
                    )),
                }
            }
            (Msg::Prepare { .. }, _) => Err(self.fault(
                FaultKind::WrongReply,
                "it answered paxos_prepare with another type than paxos_promise",
                line,
            )),
            _ => Err(self.fault(
                FaultKind::WrongReply,
                "it answered paxos_accept with another type than paxos_accepted",
                line,
            )),
        }
    }
}

impl AcceptorRole for ProcessAcceptor {
    fn on_message(&mut self, _cluster: &Protocol, msg: &Msg) -> Result<Option<Msg>, RoleFault> {
        match msg {
            Msg::Prepare { .. } | Msg::Accept { .. } => self.exchange(msg).map(Some),
            _ => Ok(None),
        }
    }

    fn on_crash(&mut self, _cluster: &Protocol) {
        if self.settings.crash == CrashMode::Restart {
            self.proc = None; // killed, with its group
        }
    }

    fn on_restart(&mut self, _cluster: &Protocol) -> Result<(), RoleFault> {
        if self.settings.crash == CrashMode::Restart {
            let mut p = Proc::spawn(&self.settings, self.cluster_size, self.id, self.dir.clone());
            // A restarted process must be ready before the next step: its first request
            // may come at once.
            p.finish_init(self.id, self.settings.reply_timeout)?;
            self.proc = Some(p);
            self.next_msg_id = 1;
            self.restarted = true;
        }
        Ok(())
    }

    fn view(&self) -> AcceptorView {
        self.seen
    }

    fn last_reply(&self) -> Option<&str> {
        self.last_reply.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spare is started for the cluster of the execution before; an execution of another
    /// size must not take it (its `init` named other nodes), and the pool keeps at most
    /// [`SPARES_PER_ACCEPTOR`] per acceptor, the newest.
    #[test]
    fn a_spare_serves_only_its_cluster_size_and_the_pool_is_bounded() {
        // Never talked to: nothing here reads a reply, so any long-lived command will do.
        let mut h = ProcessAcceptors::new("sleep 30", CrashMode::Pause, Duration::from_secs(1));
        let three = Protocol::majority(3, None);
        let five = Protocol::majority(5, None);
        let first = h.acceptor(&three, 0);
        assert_eq!(first.cluster_size, 3);
        let other = h.acceptor(&five, 0);
        assert_eq!(
            other.cluster_size, 5,
            "a spare of size 3 served a cluster of 5"
        );
        let sizes = |h: &ProcessAcceptors| -> Vec<u16> {
            h.spare.lock().unwrap()[0]
                .iter()
                .map(|p| p.cluster_size)
                .collect()
        };
        assert_eq!(sizes(&h), [3, 5]);
        // The size-3 spare serves the next cluster of 3, and a clone shares the pool.
        let mut clone = h.clone();
        assert_eq!(clone.acceptor(&three, 0).cluster_size, 3);
        assert_eq!(sizes(&h), [5, 3]);
        // Sizes it holds no spare of: each adds one, and the oldest go.
        for n in [1, 2, 4, 6, 7, 8] {
            h.acceptor(&Protocol::majority(n, None), 0);
        }
        assert_eq!(sizes(&h), [4, 6, 7, 8]);
        // A spare started on another thread dies with that thread: it is never taken.
        std::thread::scope(|s| {
            s.spawn(|| clone.acceptor(&three, 0));
        });
        assert_eq!(sizes(&h), [6, 7, 8, 3]);
        h.acceptor(&three, 0);
        assert_eq!(
            sizes(&h),
            [7, 8, 3, 3],
            "the other thread's spare was taken"
        );
    }
}
