//! The tokio runtime credwise runs on, and the priority of its threads.
//!
//! The thread that draws the explorer and reads keys is the one that calls `block_on` (the
//! main thread): it keeps the priority the process started with. Every thread tokio starts —
//! the two async workers and the blocking threads that index, audit, read the cache and write
//! files — and the threads those start (the index's and the cache read's helpers inherit it)
//! run at a lower one (`BACKGROUND_NICE`). On a two-core machine, a load keeps both cores busy
//! with indexing and auditing while the screen needs a few milliseconds every 16: at equal
//! priority the drawing thread waited its turn, and frames came 40–60 ms apart in one live
//! crawl in five. At a lower priority the background work still has every core the screen
//! does not use, so a load on an idle machine is as fast; only the order in which waiting
//! threads get a core changes.
//!
//! Linux only: elsewhere a thread's priority cannot be set apart from its process's without
//! `unsafe` (on macOS `setpriority` on a thread id would lower the whole process), so the
//! threads keep the process's priority there.

/// How much lower than the process's the priority of the runtime's threads is, as a nice
/// increment: at +10 the scheduler gives a thread about a ninth of the CPU time of one at the
/// process's priority when both want it.
pub const BACKGROUND_NICE: i32 = 10;

/// The runtime: two async workers (the work is mostly waiting on Graph and ARM; the CPU work
/// goes to blocking threads), timers and I/O, every thread at the background priority.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(lower_this_threads_priority)
        .build()
}

/// Lowers the priority of the calling thread by `BACKGROUND_NICE`. Best effort: a system that
/// refuses leaves the thread as it was, which costs smoothness, never correctness.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        // On Linux, a thread id given to the PRIO_PROCESS calls names that thread alone.
        let me = Some(rustix::thread::gettid());
        if let Ok(now) = getpriority_process(me) {
            let _ = setpriority_process(me, (now + BACKGROUND_NICE).min(19));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_runtimes_threads_run_below_the_thread_that_drives_it() {
        use rustix::process::getpriority_process;
        let mine = getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let rt = runtime().unwrap();
        let of_worker = rt.block_on(async {
            tokio::spawn(async { getpriority_process(Some(rustix::thread::gettid())).unwrap() })
                .await
                .unwrap()
        });
        let of_blocking = rt.block_on(async {
            tokio::task::spawn_blocking(|| {
                let here = getpriority_process(Some(rustix::thread::gettid())).unwrap();
                // A thread a blocking thread starts (the index's helper) inherits it.
                let child = std::thread::spawn(|| {
                    getpriority_process(Some(rustix::thread::gettid())).unwrap()
                })
                .join()
                .unwrap();
                (here, child)
            })
            .await
            .unwrap()
        });
        let after = getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let want = (mine + BACKGROUND_NICE).min(19);
        assert_eq!(of_worker, want);
        assert_eq!(of_blocking, (want, want));
        assert_eq!(
            after, mine,
            "the thread that called block_on keeps its priority"
        );
    }
}
