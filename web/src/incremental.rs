//! The bookkeeping behind incremental inference, free of tensors so it is tested natively:
//! which positions of the last reading still hold, and which digit features must be computed.
//!
//! A digit is identified by its 28×28 image: redrawing the pad usually leaves most digits'
//! images bit-for-bit unchanged, so their CNN features (and the LSTM states of an unchanged
//! prefix) can be reused.

use std::collections::HashMap;

/// Identity of a digit image: equal images give equal keys (FNV-1a over the f32 bits).
pub fn image_key(image: &[f32]) -> u64 {
    image.iter().fold(0xcbf2_9ce4_8422_2325, |hash, v| {
        (hash ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How many leading positions read before can be kept: the LSTM state after position `i`
/// depends only on digits `0..=i`, so everything up to the first difference stays valid.
pub fn common_prefix(previous: &[u64], current: &[u64]) -> usize {
    previous
        .iter()
        .zip(current)
        .take_while(|(a, b)| a == b)
        .count()
}

/// What a new reading of `current` has to do, given the keys read last time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Positions whose state and answer are reused as they are.
    pub keep: usize,
    /// Keys of digits after `keep` whose features are not cached, each once, in order.
    pub compute: Vec<u64>,
}

impl Plan {
    pub fn new(previous: &[u64], current: &[u64], cached: impl Fn(u64) -> bool) -> Self {
        let keep = common_prefix(previous, current);
        let mut compute: Vec<u64> = Vec::new();
        for &key in &current[keep..] {
            if !cached(key) && !compute.contains(&key) {
                compute.push(key);
            }
        }
        Self { keep, compute }
    }

    /// Positions that must be read again (the LSTM steps to run).
    pub fn steps(&self, current_len: usize) -> usize {
        current_len - self.keep
    }
}

/// Digit features by image key, bounded: while someone draws, every frame makes a new image
/// of the digit under the pen, so old entries are dropped, least recently used first.
#[derive(Debug)]
pub struct FeatureCache<V> {
    entries: HashMap<u64, (V, u64)>,
    clock: u64,
    capacity: usize,
}

impl<V> FeatureCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            clock: 0,
            capacity: capacity.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, key: u64) -> bool {
        self.entries.contains_key(&key)
    }

    /// The value for `key`, marking it recently used.
    pub fn get(&mut self, key: u64) -> Option<&V> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(&key).map(|(value, used)| {
            *used = clock;
            &*value
        })
    }

    /// Stores `value`, then drops least recently used entries beyond the capacity.
    pub fn insert(&mut self, key: u64, value: V) {
        self.clock += 1;
        self.entries.insert(key, (value, self.clock));
        while self.entries.len() > self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(&k, _)| k)
                .expect("over capacity means not empty");
            self.entries.remove(&oldest);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_images_share_a_key_and_any_pixel_changes_it() {
        let a = vec![0.0f32; 784];
        let mut b = a.clone();
        assert_eq!(image_key(&a), image_key(&b));
        b[400] = 0.25;
        assert_ne!(image_key(&a), image_key(&b));
        // Position matters, not just the multiset of values.
        let mut c = a.clone();
        c[401] = 0.25;
        assert_ne!(image_key(&b), image_key(&c));
    }

    #[test]
    fn appending_a_digit_reads_one_step_and_computes_one_feature() {
        let plan = Plan::new(&[1, 2, 3], &[1, 2, 3, 4], |k| k <= 3);
        assert_eq!(
            plan,
            Plan {
                keep: 3,
                compute: vec![4]
            }
        );
        assert_eq!(plan.steps(4), 1);
    }

    #[test]
    fn nothing_changed_means_nothing_to_do() {
        let plan = Plan::new(&[1, 2, 3], &[1, 2, 3], |_| true);
        assert_eq!(
            plan,
            Plan {
                keep: 3,
                compute: vec![]
            }
        );
        assert_eq!(plan.steps(3), 0);
    }

    #[test]
    fn removing_trailing_digits_keeps_the_prefix_and_reads_nothing() {
        // Undo of the last digit: the answer is the one already read at position 2.
        let plan = Plan::new(&[1, 2, 3, 4], &[1, 2, 3], |_| true);
        assert_eq!(plan.keep, 3);
        assert_eq!(plan.steps(3), 0);
        assert!(plan.compute.is_empty());
    }

    #[test]
    fn a_change_in_the_middle_rereads_from_there_but_reuses_cached_features() {
        // Digit 2 was redrawn as 9; digits after it are unchanged and still cached.
        let plan = Plan::new(&[1, 2, 3, 4], &[1, 9, 3, 4], |k| k != 9);
        assert_eq!(
            plan,
            Plan {
                keep: 1,
                compute: vec![9]
            }
        );
        assert_eq!(plan.steps(4), 3);
    }

    #[test]
    fn repeated_new_images_are_computed_once() {
        // The same sample digit twice in a fresh sequence.
        let plan = Plan::new(&[], &[5, 6, 5], |_| false);
        assert_eq!(
            plan,
            Plan {
                keep: 0,
                compute: vec![5, 6]
            }
        );
        assert_eq!(plan.steps(3), 3);
    }

    #[test]
    fn cache_drops_the_least_recently_used_entry() {
        let mut cache = FeatureCache::new(2);
        cache.insert(1, "one");
        cache.insert(2, "two");
        assert_eq!(cache.get(1), Some(&"one")); // 1 is now fresher than 2
        cache.insert(3, "three");
        assert_eq!(cache.len(), 2);
        assert!(cache.contains(1) && cache.contains(3) && !cache.contains(2));
        assert_eq!(cache.get(2), None);
        cache.clear();
        assert!(cache.is_empty());
    }
}
