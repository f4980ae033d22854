//! The one message type of the TUI loop, and the thread that turns terminal input into
//! messages. Worker threads (input, collector, signals) only send; the loop owns the state.

use std::sync::mpsc::Sender;

use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind};

use crate::analyze::use_method::UseTable;
use crate::collect::host::HostInfo;
use crate::collect::process::ProcDetail;
use crate::collect::procfs::loadavg::LoadAvg;
use crate::model::host::HostModel;
use crate::model::process::ProcRow;

/// Everything one refresh shows, built on the collector thread.
#[derive(Debug, Clone)]
pub struct Frame {
    pub info: HostInfo,
    pub uptime_cs: u64,
    pub loadavg: LoadAvg,
    /// `None` on the very first sample (no interval yet).
    pub model: Option<HostModel>,
    pub table: Option<UseTable>,
    pub procs: Vec<ProcRow>,
    /// The detail of the process the view asked for: `Err` says why it is not there
    /// ("exited", "permission denied").
    pub detail: Option<(i32, Result<ProcDetail, String>)>,
    /// CPU time sonde itself used for this refresh (collect + model), in milliseconds.
    pub self_cpu_ms: Option<f64>,
    /// USER_HZ, the unit of per-thread CPU times in the detail view.
    pub clock_ticks_per_sec: u64,
    /// Wait shares over the refresh for the rows on screen (and all rows when sorting by a
    /// wait), by PID (TID in the thread view).
    pub delays: std::collections::HashMap<i32, crate::model::delays::DelayShares>,
    /// `kernel.task_delayacct`: off means I/O and swap-in waits are not counted ("off").
    pub delayacct_on: bool,
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    Sample(Box<Frame>),
    /// The collector cannot go on (a replay ended, a required file vanished).
    CollectorStopped(String),
    /// SIGTERM, SIGHUP or SIGINT from outside.
    Signal(i32),
}

/// Reads terminal events until the receiver is gone.
pub fn spawn_input(tx: Sender<Msg>) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("sonde-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                let msg = match ev {
                    Event::Key(k) if k.kind != KeyEventKind::Release => Msg::Key(k),
                    Event::Resize(w, h) => Msg::Resize(w, h),
                    _ => continue,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        })
        .unwrap_or_else(|_| std::thread::spawn(|| {}))
}
