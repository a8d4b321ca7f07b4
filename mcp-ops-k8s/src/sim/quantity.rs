//! Resource quantities (`250m`, `1.5`, `256Mi`, `16393220Ki`) as numbers.

/// Parses a CPU quantity into millicores.
pub fn cpu_millis(q: &str) -> f64 {
    if let Some(m) = q.strip_suffix('m') {
        m.parse().unwrap_or(0.0)
    } else {
        q.parse::<f64>().map(|c| c * 1000.0).unwrap_or(0.0)
    }
}

/// Parses a memory quantity into bytes.
pub fn mem_bytes(q: &str) -> f64 {
    let units: [(&str, f64); 8] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (u, f) in units {
        if let Some(n) = q.strip_suffix(u) {
            return n.parse::<f64>().unwrap_or(0.0) * f;
        }
    }
    q.parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse() {
        assert!((cpu_millis("250m") - 250.0).abs() < 1e-9);
        assert!((cpu_millis("1.5") - 1500.0).abs() < 1e-9);
        assert!((mem_bytes("1Gi") - 1073741824.0).abs() < 1e-3);
        assert!((mem_bytes("512M") - 512e6).abs() < 1e-3);
    }
}
