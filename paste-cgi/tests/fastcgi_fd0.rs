//! `FastCgiServer::from_env` as a FastCGI program started the classic way:
//! `cgi-fcgi -start` (Debian package `libfcgi-bin`) makes a Unix socket and
//! starts this binary with the listening socket on descriptor 0, as
//! spawn-fcgi and mod_fcgid do. Started so, this binary serves; started by
//! `cargo test`, it runs the test (a harness of our own, since the test
//! and the server are one binary).

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use paste_cgi::FastCgiServer;
use paste_core::{Request, RequestExt, Response, app_fn};

fn main() -> ExitCode {
    match FastCgiServer::from_env() {
        Ok(Some(server)) => return serve(server),
        Ok(None) => {}
        Err(err) => panic!("FastCgiServer::from_env failed: {err}"),
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = "cgi_fcgi_start_hands_over_a_socket_on_descriptor_0";
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let selected = filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    println!("\nrunning {} test", usize::from(selected));
    let passed = !selected || std::panic::catch_unwind(fd0_test).is_ok();
    if selected {
        println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
        if passed { "ok" } else { "FAILED" },
        usize::from(selected && passed),
        usize::from(!passed),
        usize::from(!selected),
    );
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The server side: answer, until SIGTERM.
fn serve(server: FastCgiServer) -> ExitCode {
    if let Some(pidfile) = std::env::var_os("PASTE_FD0_PIDFILE") {
        std::fs::write(pidfile, std::process::id().to_string()).unwrap();
    }
    let app = app_fn(|req: Request| async move {
        Ok(Response::new(
            format!("served from fd 0: {}\n", req.path_info()).into(),
        ))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(server.serve(app)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn find_cgi_fcgi() -> &'static Path {
    let path = Path::new("/usr/bin/cgi-fcgi");
    assert!(
        path.exists(),
        "`cgi-fcgi` is not installed: it comes with the Debian package `libfcgi-bin` \
         (apt-get install libfcgi-bin)"
    );
    path
}

fn fd0_test() {
    let cgi_fcgi = find_cgi_fcgi();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("app.sock");
    let pidfile = dir.path().join("app.pid");
    let started = Command::new(cgi_fcgi)
        .arg("-start")
        .arg("-connect")
        .arg(&socket)
        .arg(std::env::current_exe().unwrap())
        .env("PASTE_FD0_PIDFILE", &pidfile)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(started.success(), "cgi-fcgi -start failed");
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid: i32 = loop {
        if let Ok(text) = std::fs::read_to_string(&pidfile)
            && let Ok(pid) = text.trim().parse()
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    let _stop = Stop(pid);

    let output = Command::new(cgi_fcgi)
        .arg("-bind")
        .arg("-connect")
        .arg(&socket)
        .env_clear()
        .env("REQUEST_METHOD", "GET")
        .env("PATH_INFO", "/via/fd0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("Status: 200 OK\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\nserved from fd 0: /via/fd0\n"),
        "{text}"
    );
}

/// Stops the server with SIGTERM (a graceful shutdown) and waits for it.
struct Stop(rustix::process::Pid);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(self.0, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while rustix::process::test_kill_process(self.0).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
