//! Rollout arithmetic of the deployment controller: surge/unavailable budgets and how many
//! replicas each ReplicaSet should have next (RollingUpdate and Recreate).

use serde_json::Value;

/// Resolves an int-or-percent value against `total` (percentages round up or down).
pub fn int_or_percent(v: Option<&Value>, total: i64, round_up: bool, default: i64) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => {
            let Some(p) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return s.parse().unwrap_or(default);
            };
            let x = total * p;
            if round_up { (x + 99) / 100 } else { x / 100 }
        }
        _ => default,
    }
}

/// One ReplicaSet as the rollout sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsState {
    /// `spec.replicas`.
    pub spec: i64,
    /// `status.replicas`.
    pub current: i64,
    /// `status.availableReplicas`.
    pub available: i64,
}

/// Next `spec.replicas` for a rolling update. `old` is ordered oldest first. Returns the new
/// ReplicaSet's target and each old one's target.
pub fn rolling(
    replicas: i64,
    surge: i64,
    unavailable: i64,
    new: &RsState,
    old: &[RsState],
) -> (i64, Vec<i64>) {
    let (surge, unavailable) = if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    };
    let total: i64 = new.spec + old.iter().map(|r| r.spec).sum::<i64>();
    let mut new_spec = new.spec;
    if new_spec > replicas {
        new_spec = replicas;
    } else if new_spec < replicas {
        let max_total = replicas + surge;
        if total < max_total {
            new_spec = replicas.min(new_spec + (max_total - total));
        }
    }
    let mut old_spec: Vec<i64> = old.iter().map(|r| r.spec).collect();
    let all_pods = new_spec + old_spec.iter().sum::<i64>();
    let min_available = replicas - unavailable;
    let new_unavailable = (new_spec - new.available).max(0);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return (new_spec, old_spec);
    }
    let mut done = 0;
    for (i, r) in old.iter().enumerate() {
        if done >= max_scaled_down {
            break;
        }
        let unhealthy = (old_spec[i] - r.available).max(0);
        let d = unhealthy.min(max_scaled_down - done);
        old_spec[i] -= d;
        done += d;
    }
    let available: i64 = new.available + old.iter().map(|r| r.available).sum::<i64>();
    let budget = (available - min_available).min(max_scaled_down - done);
    let mut scaled = 0;
    for spec in old_spec.iter_mut() {
        if scaled >= budget {
            break;
        }
        let d = (*spec).min(budget - scaled);
        *spec -= d;
        scaled += d;
    }
    (new_spec, old_spec)
}

/// Next `spec.replicas` for a Recreate rollout.
pub fn recreate(replicas: i64, old: &[RsState]) -> (i64, Vec<i64>) {
    if old.iter().any(|r| r.spec > 0 || r.current > 0) {
        return (0, vec![0; old.len()]);
    }
    (replicas, vec![0; old.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rs(spec: i64, available: i64) -> RsState {
        RsState {
            spec,
            current: spec,
            available,
        }
    }

    #[test]
    fn percentages_round_like_kubernetes() {
        assert_eq!(int_or_percent(Some(&json!("25%")), 3, true, 0), 1);
        assert_eq!(int_or_percent(Some(&json!("25%")), 3, false, 0), 0);
        assert_eq!(int_or_percent(Some(&json!(2)), 3, false, 0), 2);
    }

    #[test]
    fn rolling_update_surges_then_scales_down() {
        // 3 replicas, surge 1, unavailable 0: new goes to 1 first, old stays 3.
        let (n, o) = rolling(3, 1, 0, &rs(0, 0), &[rs(3, 3)]);
        assert_eq!((n, o), (1, vec![3]));
        // once the new pod is available, one old is removed.
        let (n, o) = rolling(3, 1, 0, &rs(1, 1), &[rs(3, 3)]);
        assert_eq!((n, o), (1, vec![2]));
        // a new pod that never becomes available blocks the rollout.
        let (n, o) = rolling(3, 1, 0, &rs(1, 0), &[rs(3, 3)]);
        assert_eq!((n, o), (1, vec![3]));
    }

    #[test]
    fn recreate_scales_old_down_first() {
        assert_eq!(recreate(2, &[rs(2, 2)]), (0, vec![0]));
        assert_eq!(
            recreate(
                2,
                &[RsState {
                    spec: 0,
                    current: 0,
                    available: 0
                }]
            ),
            (2, vec![0])
        );
    }
}
