//! Scores of a clustering against known classes: the contingency table, adjusted Rand,
//! adjusted and normalised mutual information (arithmetic mean of the entropies, as
//! scikit-learn's default) and Fowlkes–Mallows. Labels are any dense ids; a noise label is
//! one more cluster here, as in scikit-learn.

/// Counts of rows per (class, cluster).
#[derive(Clone, Debug, PartialEq)]
pub struct Contingency {
    /// `counts[class][cluster]`.
    pub counts: Vec<Vec<u64>>,
    pub n: u64,
}

impl Contingency {
    /// From dense class ids `0..n_classes` and cluster ids `0..n_clusters`, one per row.
    pub fn new(classes: &[u32], clusters: &[u32], n_classes: usize, n_clusters: usize) -> Self {
        let mut counts = vec![vec![0u64; n_clusters]; n_classes];
        for (&a, &b) in classes.iter().zip(clusters) {
            counts[a as usize][b as usize] += 1;
        }
        Self {
            counts,
            n: classes.len() as u64,
        }
    }

    /// From any two labelings of the same rows (ids need not be dense).
    pub fn from_labels(classes: &[u32], clusters: &[u32]) -> Self {
        let (classes, n_classes) = dense(classes);
        let (clusters, n_clusters) = dense(clusters);
        Self::new(&classes, &clusters, n_classes, n_clusters)
    }

    pub fn row_sums(&self) -> Vec<u64> {
        self.counts.iter().map(|r| r.iter().sum()).collect()
    }

    pub fn column_sums(&self) -> Vec<u64> {
        let mut sums = vec![0u64; self.counts.first().map_or(0, Vec::len)];
        for row in &self.counts {
            for (s, &c) in sums.iter_mut().zip(row) {
                *s += c;
            }
        }
        sums
    }

    fn n_classes(&self) -> usize {
        self.row_sums().iter().filter(|&&s| s > 0).count()
    }

    fn n_clusters(&self) -> usize {
        self.column_sums().iter().filter(|&&s| s > 0).count()
    }

    /// Both sides unsplit (one class and one cluster) or empty: a perfect, trivial match.
    fn trivial(&self) -> bool {
        let (a, b) = (self.n_classes(), self.n_clusters());
        (a == 1 && b == 1) || (a == 0 && b == 0)
    }
}

/// Ids `0..k` in order of first appearance, and k.
pub fn dense(labels: &[u32]) -> (Vec<u32>, usize) {
    let mut ids: std::collections::HashMap<u32, u32> = Default::default();
    let dense = labels
        .iter()
        .map(|l| {
            let next = ids.len() as u32;
            *ids.entry(*l).or_insert(next)
        })
        .collect();
    (dense, ids.len())
}

/// Adjusted Rand index, through the pair confusion matrix (scikit-learn's formula).
pub fn adjusted_rand(table: &Contingency) -> f64 {
    let n = table.n as f64;
    let sum_squares: f64 = table
        .counts
        .iter()
        .flatten()
        .map(|&c| (c as f64) * (c as f64))
        .sum();
    let squares = |sums: Vec<u64>| sums.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>();
    let rows = squares(table.row_sums());
    let cols = squares(table.column_sums());
    let tp = sum_squares - n;
    let fp = cols - sum_squares;
    let fn_ = rows - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0.0 && fp == 0.0 {
        return 1.0;
    }
    2.0 * (tp * tn - fn_ * fp) / ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn))
}

fn entropy(sums: &[u64]) -> f64 {
    let total: f64 = sums.iter().map(|&s| s as f64).sum();
    if total == 0.0 {
        return 1.0;
    }
    -sums
        .iter()
        .filter(|&&s| s > 0)
        .map(|&s| {
            let p = s as f64 / total;
            p * (s as f64).ln() - p * total.ln()
        })
        .sum::<f64>()
}

/// Mutual information in nats.
pub fn mutual_information(table: &Contingency) -> f64 {
    let n = table.n as f64;
    let (rows, cols) = (table.row_sums(), table.column_sums());
    let mut mi = 0.0;
    for (i, row) in table.counts.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let c = c as f64;
            // p_ij · ln(p_ij / (p_i · p_j)) with p = count / n.
            let term = (c / n) * (c.ln() + n.ln() - (rows[i] as f64).ln() - (cols[j] as f64).ln());
            // scikit-learn zeroes terms below machine epsilon.
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
    }
    mi.max(0.0)
}

/// Normalised mutual information (arithmetic mean of the two entropies).
pub fn normalized_mutual_information(table: &Contingency) -> f64 {
    if table.trivial() {
        return 1.0;
    }
    let mi = mutual_information(table);
    if mi == 0.0 {
        return 0.0;
    }
    let normalizer = (entropy(&table.row_sums()) + entropy(&table.column_sums())) / 2.0;
    mi / normalizer
}

/// The mutual information expected by chance for these marginals (Vinh et al. 2010).
pub fn expected_mutual_information(table: &Contingency) -> f64 {
    let n = table.n as f64;
    let (a, b) = (table.row_sums(), table.column_sums());
    let lgamma = |x: f64| libm::lgamma(x);
    let gln_n = lgamma(n + 1.0);
    let mut emi = 0.0;
    for &ai in a.iter().filter(|&&s| s > 0) {
        for &bj in b.iter().filter(|&&s| s > 0) {
            let (af, bf) = (ai as f64, bj as f64);
            let start = (ai as i64 - table.n as i64 + bj as i64).max(1) as usize;
            let end = ai.min(bj) as usize;
            let fixed =
                lgamma(af + 1.0) + lgamma(bf + 1.0) + lgamma(n - af + 1.0) + lgamma(n - bf + 1.0)
                    - gln_n;
            for nij in start..=end {
                let x = nij as f64;
                let term1 = x / n;
                let term2 = (n.ln() + x.ln()) - af.ln() - bf.ln();
                let gln = fixed
                    - lgamma(x + 1.0)
                    - lgamma(af - x + 1.0)
                    - lgamma(bf - x + 1.0)
                    - lgamma(n - af - bf + x + 1.0);
                emi += term1 * term2 * gln.exp();
            }
        }
    }
    emi
}

/// Adjusted mutual information (arithmetic normalisation).
pub fn adjusted_mutual_information(table: &Contingency) -> f64 {
    if table.trivial() {
        return 1.0;
    }
    let mi = mutual_information(table);
    let emi = expected_mutual_information(table);
    let normalizer = (entropy(&table.row_sums()) + entropy(&table.column_sums())) / 2.0;
    let mut denominator = normalizer - emi;
    denominator = if denominator < 0.0 {
        denominator.min(-f64::EPSILON)
    } else {
        denominator.max(f64::EPSILON)
    };
    (mi - emi) / denominator
}

/// Fowlkes–Mallows: the geometric mean of pairwise precision and recall.
pub fn fowlkes_mallows(table: &Contingency) -> f64 {
    let n = table.n as f64;
    let squares = |values: &mut dyn Iterator<Item = u64>| {
        values.map(|c| (c as f64) * (c as f64)).sum::<f64>()
    };
    let tk = squares(&mut table.counts.iter().flatten().copied()) - n;
    let pk = squares(&mut table.row_sums().into_iter()) - n;
    let qk = squares(&mut table.column_sums().into_iter()) - n;
    if tk == 0.0 {
        0.0
    } else {
        (tk / pk).sqrt() * (tk / qk).sqrt()
    }
}

/// Dense ids for label texts, and the texts in id order: numbers in numeric order (noise,
/// -1, first), other texts alphabetically.
pub fn dense_ids(values: &[&str]) -> (Vec<u32>, Vec<String>) {
    let distinct: std::collections::BTreeSet<&str> = values.iter().copied().collect();
    let mut order: Vec<&str> = distinct.into_iter().collect();
    let numbers: Option<Vec<f64>> = order.iter().map(|v| v.trim().parse().ok()).collect();
    if let Some(numbers) = numbers {
        let mut paired: Vec<(f64, &str)> = numbers.into_iter().zip(order).collect();
        paired.sort_by(|a, b| a.0.total_cmp(&b.0));
        order = paired.into_iter().map(|(_, v)| v).collect();
    }
    let index: std::collections::BTreeMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, i as u32))
        .collect();
    let ids = values.iter().map(|v| index[v]).collect();
    (ids, order.into_iter().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(classes: &[u32], clusters: &[u32]) -> Contingency {
        let a = *classes.iter().max().unwrap() as usize + 1;
        let b = *clusters.iter().max().unwrap() as usize + 1;
        Contingency::new(classes, clusters, a, b)
    }

    #[test]
    fn identical_partitions_score_one_whatever_the_names() {
        let t = table(&[0, 0, 1, 1, 2, 2], &[2, 2, 0, 0, 1, 1]);
        assert!((adjusted_rand(&t) - 1.0).abs() < 1e-12);
        assert!((normalized_mutual_information(&t) - 1.0).abs() < 1e-12);
        assert!((adjusted_mutual_information(&t) - 1.0).abs() < 1e-12);
        assert!((fowlkes_mallows(&t) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_hand_computed_case() {
        // scikit-learn's docstring example: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2])
        // = 0.5714…; fowlkes_mallows_score = sqrt(1/1 · 1/2) ≈ 0.7071.
        let t = table(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!(
            (adjusted_rand(&t) - 4.0 / 7.0).abs() < 1e-12,
            "{}",
            adjusted_rand(&t)
        );
        assert!((fowlkes_mallows(&t) - 0.5f64.sqrt()).abs() < 1e-12);
        // Mutual information: H(classes) = ln 2, all of it shared.
        assert!((mutual_information(&t) - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn one_class_against_one_cluster_is_a_trivial_match() {
        let t = table(&[0, 0, 0], &[0, 0, 0]);
        assert_eq!(normalized_mutual_information(&t), 1.0);
        assert_eq!(adjusted_mutual_information(&t), 1.0);
        assert_eq!(adjusted_rand(&t), 1.0);
    }
}
