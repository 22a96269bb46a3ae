use paxos_safety::bug::Bug;
use paxos_safety::config::Config;
use paxos_safety::execution::{Coverage, Simulator};
use paxos_safety::rng::execution_seed;
fn main() {
    for bug in std::iter::once(None).chain(Bug::ALL.iter().copied().map(Some)) {
        let cfg = Config {
            bug,
            ..Config::default()
        };
        let mut sim = Simulator::new(cfg);
        let (mut chosen, mut viol, mut steps) = (0, 0, 0u64);
        let mut first = None;
        let n = 20000;
        let t = std::time::Instant::now();
        for i in 0..n {
            let o = sim.run_seed(execution_seed(1, i), None);
            steps += o.steps as u64;
            if o.coverage.has(Coverage::CHOSEN) {
                chosen += 1;
            }
            if let Some((s, v)) = o.violation {
                viol += 1;
                if first.is_none() {
                    first = Some((i, s, v));
                }
            }
        }
        let el = t.elapsed().as_secs_f64();
        println!(
            "{:?}: chosen {chosen}/{n} viol {viol} steps {steps} {:.1}M steps/s first {:?}",
            bug,
            steps as f64 / el / 1e6,
            first.map(|(i, s, v)| (i, s, v.to_string()))
        );
    }
}
