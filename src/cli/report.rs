//! Human-readable lines for evaluation results.

use ffgpu::eval::EvalReport;

pub fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// "2.31% (alone: 3.10 2.90 3.50)"
pub fn error_line(r: &EvalReport) -> String {
    let alone: Vec<String> = r
        .per_layer_error
        .iter()
        .map(|e| format!("{:.2}", 100.0 * e))
        .collect();
    format!("{} (layers alone %: {})", pct(r.error), alone.join(" "))
}

/// The full report: every layer set, goodness and entropy.
pub fn print_full(title: &str, r: &EvalReport) {
    println!("{title}: {} samples, error {}", r.samples, pct(r.error));
    let sets: Vec<String> = r
        .per_set_error
        .iter()
        .map(|s| format!("{} {}", s.layers, pct(s.error)))
        .collect();
    println!("  error by layer set: {}", sets.join("  "));
    let g = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "  mean goodness, true label: {}  wrong labels: {}",
        g(&r.mean_goodness_positive),
        g(&r.mean_goodness_negative)
    );
    let e = &r.entropy;
    println!(
        "  functional entropy (total = across layers + within): positive {:.4} = {:.4} + {:.4}, negative {:.4} = {:.4} + {:.4}, all {:.4} = {:.4} + {:.4}",
        e.positive.total,
        e.positive.across_layers,
        e.positive.within_layers,
        e.negative.total,
        e.negative.across_layers,
        e.negative.within_layers,
        e.all.total,
        e.all.across_layers,
        e.all.within_layers
    );
}
