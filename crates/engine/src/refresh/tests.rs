//! Scheduler behaviour in paused tokio time against a recording renewer: no sockets, no sleeps.

use std::sync::Mutex;

use super::*;
use crate::testing::FakeClock;

#[derive(Default)]
struct Recording {
    calls: Mutex<Vec<(ConnectionName, Timestamp)>>,
    next: Mutex<Option<Duration>>,
    clock: Mutex<Option<FakeClock>>,
}

#[async_trait]
impl Renewer for Recording {
    async fn renew_due(&self, name: &ConnectionName) -> Option<Timestamp> {
        let clock = self.clock.lock().unwrap().clone().unwrap();
        let now = clock.now();
        self.calls.lock().unwrap().push((name.clone(), now));
        self.next.lock().unwrap().map(|d| now.plus(d))
    }
}

fn id(s: &str) -> ConnectionName {
    ConnectionName::new(s).unwrap()
}

const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

fn setup() -> (Arc<Recording>, FakeClock, SchedulerHandle) {
    let clock = FakeClock::starting_at(T0);
    let rec = Arc::new(Recording::default());
    *rec.clock.lock().unwrap() = Some(clock.clone());
    let handle = SchedulerHandle::spawn(rec.clone(), Arc::new(clock.clone()));
    (rec, clock, handle)
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn renewal_fires_at_its_deadline_and_not_before() {
    let (rec, _clock, sched) = setup();
    sched.schedule(id("work"), T0.plus(Duration::from_secs(3300)));
    tokio::time::advance(Duration::from_secs(3299)).await;
    settle().await;
    assert!(
        rec.calls.lock().unwrap().is_empty(),
        "nothing before the deadline"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    settle().await;
    let calls = rec.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "exactly one renewal at the deadline");
    assert_eq!(calls[0].0, id("work"));
    assert!(calls[0].1 >= T0.plus(Duration::from_secs(3300)));
}

#[tokio::test(start_paused = true)]
async fn the_next_deadline_returned_by_a_renewal_is_scheduled() {
    let (rec, _clock, sched) = setup();
    *rec.next.lock().unwrap() = Some(Duration::from_secs(100));
    sched.schedule(id("a"), T0.plus(Duration::from_secs(10)));
    for _ in 0..35 {
        tokio::time::advance(Duration::from_secs(10)).await;
        settle().await;
    }
    let n = rec.calls.lock().unwrap().len();
    assert_eq!(n, 4, "at 10 s, 110 s, 210 s and 310 s within 350 s");
}

#[tokio::test(start_paused = true)]
async fn a_wall_clock_jump_runs_due_renewals_within_a_minute() {
    let (rec, clock, sched) = setup();
    sched.schedule(id("laptop"), T0.plus(Duration::from_secs(3000)));
    settle().await;
    // The machine sleeps for two hours: the wall clock jumps, monotonic time does not move.
    clock.jump(Duration::from_secs(7200));
    tokio::time::advance(MAX_SLEEP).await;
    settle().await;
    assert_eq!(
        rec.calls.lock().unwrap().len(),
        1,
        "the overdue renewal ran at the next wake"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_and_reschedule_replace_earlier_deadlines() {
    let (rec, _clock, sched) = setup();
    sched.schedule(id("a"), T0.plus(Duration::from_secs(10)));
    sched.schedule(id("a"), T0.plus(Duration::from_secs(500)));
    sched.schedule(id("b"), T0.plus(Duration::from_secs(20)));
    sched.cancel(id("b"));
    tokio::time::advance(Duration::from_secs(100)).await;
    settle().await;
    assert!(
        rec.calls.lock().unwrap().is_empty(),
        "a moved to 500 s, b was cancelled"
    );
    tokio::time::advance(Duration::from_secs(401)).await;
    settle().await;
    assert_eq!(rec.calls.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_connections_are_each_renewed_once_on_time() {
    let (rec, _clock, sched) = setup();
    for i in 0..10_000u32 {
        let at = T0.plus(Duration::from_secs(60 + u64::from(i % 3600)));
        sched.schedule(id(&format!("c{i}")), at);
    }
    for _ in 0..370 {
        tokio::time::advance(Duration::from_secs(10)).await;
        settle().await;
    }
    let calls = rec.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 10_000);
    let mut names: Vec<_> = calls.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 10_000, "each exactly once");
}
