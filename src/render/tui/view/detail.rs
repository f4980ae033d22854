//! The detail view of one process: status, memory, CPU and run-queue delay, I/O, open files,
//! limits, cgroup, and its threads with state and wait channel. Read on demand by the collector
//! (not every process every refresh); when the process exits the view closes with a message.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::collect::process::ProcDetail;
use crate::render::format::{fit, short_bytes};
use crate::render::tui::app::App;

fn opt_bytes(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |b| short_bytes(b as f64))
}

fn secs_ns(ns: u64) -> String {
    format!("{:.2}s", ns as f64 / 1e9)
}

fn lines(d: &ProcDetail, app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let hz = app
        .frame
        .as_ref()
        .map_or(100, |f| f.clock_ticks_per_sec)
        .max(1) as f64;
    let s = &d.status;
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("PID {}  {}", d.pid, app.theme.clean(&s.name)),
            t.title(),
        ),
        Span::raw(format!(
            "  state {}  user {}  ppid {}  threads {}  nice {}",
            s.state,
            app.theme.clean(&d.user),
            s.ppid,
            s.threads.unwrap_or(d.stat.num_threads),
            d.stat.nice
        )),
    ])];
    out.push(Line::from(format!(
        "memory  RSS {} (anon {} file {} shmem {})  peak RSS {}  VSZ {}  swap {}",
        opt_bytes(s.vm_rss_bytes),
        opt_bytes(s.rss_anon_bytes),
        opt_bytes(s.rss_file_bytes),
        opt_bytes(s.rss_shmem_bytes),
        opt_bytes(s.vm_hwm_bytes),
        opt_bytes(s.vm_size_bytes),
        opt_bytes(s.vm_swap_bytes),
    )));
    let sched = match &d.schedstat {
        Ok(ss) => format!(
            "on CPU {}  waited for a CPU {}  timeslices {}",
            secs_ns(ss.on_cpu_ns),
            secs_ns(ss.run_delay_ns),
            ss.timeslices
        ),
        Err(why) => format!("run-queue delay: {why}"),
    };
    out.push(Line::from(format!(
        "cpu     {sched}  ctx switches vol {} invol {}",
        s.voluntary_ctxt_switches
            .map_or_else(|| "-".into(), |v| v.to_string()),
        s.nonvoluntary_ctxt_switches
            .map_or_else(|| "-".into(), |v| v.to_string()),
    )));
    out.push(Line::from(match &d.io {
        Ok(io) => format!(
            "io      storage read {} write {} (cancelled {})  logical rchar {} wchar {}  syscalls r {} w {}",
            short_bytes(io.read_bytes as f64),
            short_bytes(io.write_bytes as f64),
            short_bytes(io.cancelled_write_bytes as f64),
            short_bytes(io.rchar_bytes as f64),
            short_bytes(io.wchar_bytes as f64),
            io.read_syscalls,
            io.write_syscalls
        ),
        Err(why) => format!("io      {why}"),
    }));
    let waits = app.frame.as_ref().and_then(|f| f.delays.get(&d.pid));
    let accounting = app.frame.as_ref().is_some_and(|f| f.delayacct_on);
    let pct = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}%"));
    out.push(Line::from(match waits {
        None => "waits   - (from the next refresh)".to_string(),
        Some(w) if !accounting => format!(
            "waits   running {}  waiting for a CPU {}  I/O, swap-in, reclaim: off (kernel.task_delayacct=0)",
            pct(w.on_cpu_pct),
            pct(w.run_delay_pct)
        ),
        Some(w) => format!(
            "waits   running {}  waiting for a CPU {}  block I/O {}  swap-in {}  reclaim {}  thrashing {}  compaction {}",
            pct(w.on_cpu_pct),
            pct(w.run_delay_pct),
            pct(w.blkio_delay_pct),
            pct(w.swapin_delay_pct),
            pct(w.freepages_delay_pct),
            pct(w.thrashing_delay_pct),
            pct(w.compact_delay_pct)
        ),
    }));
    let nofile = d
        .limits
        .as_ref()
        .ok()
        .and_then(|l| l.open_files())
        .map(|l| l.soft.to_string());
    out.push(Line::from(match (&d.open_files, nofile) {
        (Ok(n), Some(lim)) => format!("files   {n} open (limit {lim})"),
        (Ok(n), None) => format!("files   {n} open"),
        (Err(why), _) => format!("files   {why}"),
    }));
    out.push(Line::from(match &d.limits {
        Ok(l) => {
            let pick = [
                "Max open files",
                "Max processes",
                "Max address space",
                "Max locked memory",
            ];
            let parts: Vec<String> = pick
                .iter()
                .filter_map(|n| l.get(n))
                .map(|x| {
                    format!(
                        "{} {}/{}",
                        x.name.trim_start_matches("Max ").to_lowercase(),
                        x.soft,
                        x.hard
                    )
                })
                .collect();
            format!("limits  {}", parts.join("  "))
        }
        Err(why) => format!("limits  {why}"),
    }));
    out.push(Line::from(match &d.cgroups {
        Ok(c) => {
            let parts: Vec<String> = c
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}:{}",
                        e.hierarchy_id,
                        e.controllers.join(","),
                        app.theme.clean(&e.path)
                    )
                })
                .collect();
            format!("cgroup  {}", parts.join("  "))
        }
        Err(why) => format!("cgroup  {why}"),
    }));
    out.push(Line::from(Span::styled(
        format!(
            "threads ({})   TID      S  WCHAN                     CPU s   RQ WAIT  NAME",
            d.threads.len()
        ),
        t.table_header(),
    )));
    for th in &d.threads {
        out.push(Line::from(format!(
            "              {:>8} {}  {:<24} {:>6.2} {:>9}  {}",
            th.tid,
            th.state,
            fit(&app.theme.clean(th.wchan.as_deref().unwrap_or("-")), 24),
            (th.utime_ticks + th.stime_ticks) as f64 / hz,
            th.schedstat
                .as_ref()
                .map_or_else(|| "-".into(), |s| secs_ns(s.run_delay_ns)),
            app.theme.clean(&th.comm)
        )));
    }
    out
}

pub fn render(app: &App, pid: i32, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let body = match app.frame.as_ref().and_then(|f| f.detail.as_ref()) {
        Some((p, Ok(d))) if *p == pid => lines(d, app),
        Some((p, Err(why))) if *p == pid => vec![Line::from(format!("process {pid}: {why}"))],
        _ => vec![Line::from(Span::styled(
            format!("reading process {pid}..."),
            t.dim(),
        ))],
    };
    let mut all = vec![Line::from(Span::styled("Esc: back to the table", t.dim()))];
    all.extend(body);
    Paragraph::new(all).render(area, buf);
}
