//! Progress on long work: a bar with rate and ETA on a terminal, a few
//! plain lines otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    next_line: u64,
    start: Instant,
}

impl Progress {
    /// `total` units (samples) of work named `label`.
    pub fn new(label: &str, total: u64, unit: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}"
                ))
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar
        });
        Progress {
            bar,
            label: label.into(),
            total,
            next_line: total / 4,
            start: Instant::now(),
        }
    }

    pub fn set(&mut self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if done >= self.next_line && done < self.total => {
                let secs = self.start.elapsed().as_secs_f64();
                eprintln!(
                    "{}: {done}/{} ({:.0}/s)",
                    self.label,
                    self.total,
                    done as f64 / secs.max(1e-9)
                );
                self.next_line = done + self.total / 4;
            }
            None => {}
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
