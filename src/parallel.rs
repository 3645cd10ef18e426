//! Independent work over consecutive parts of a large input, one scoped thread per part, the
//! results kept in the parts' order: what reading a feed, building its meetings, serialising
//! them and a coverage summary each do on every core.

/// The machine's cores (1 when it cannot say).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How many parts `len` items are worked in: `wanted` when given, else one per core from `from`
/// items and one below (a thread's start costs more than a few thousand items' work); always at
/// least one, and never more than the items.
pub fn parts(len: usize, wanted: Option<usize>, from: usize) -> usize {
    wanted
        .unwrap_or(if len >= from { cores() } else { 1 })
        .clamp(1, len.max(1))
}

/// `work` on each part, the first on this thread when it is the only one, else each on a thread
/// of its own; the results in the parts' order.
pub fn map<P: Send, R: Send>(parts: Vec<P>, work: impl Fn(P) -> R + Sync) -> Vec<R> {
    if parts.len() <= 1 {
        return parts.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_parts_order() {
        let items: Vec<u32> = (0..1000).collect();
        for n in [1, 2, 3, 7, 1000] {
            let size = items.len().div_ceil(n);
            let sums = map(items.chunks(size).collect(), |part| part.iter().sum::<u32>());
            assert_eq!(sums.len(), n);
            assert_eq!(sums.iter().sum::<u32>(), items.iter().sum::<u32>());
            assert_eq!(sums[0], items[..size].iter().sum::<u32>());
        }
    }

    #[test]
    fn parts_are_at_least_one_and_at_most_the_items() {
        assert_eq!(parts(0, None, 10), 1);
        assert_eq!(parts(5, None, 10), 1);
        assert_eq!(parts(5, Some(100), 10), 5);
        assert_eq!(parts(5, Some(0), 10), 1);
        assert_eq!(parts(20, None, 10), cores().min(20));
    }
}
