// Closed-form metric learning for the pet head (pure maths, no I/O, no tfjs): a symmetric
// eigensolver (cyclic Jacobi), a randomized PCA for wide feature matrices, and within-class
// covariance normalisation + LDA. Frozen features with few photos per animal are the classic
// case where whitening the within-animal scatter beats gradient training (which memorises).
// Matrices are row-major Float64Array with explicit sizes.

/** out[n×p] = A[n×m] · B[m×p]. */
export function matMul(A: ArrayLike<number>, B: ArrayLike<number>, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let t = 0; t < m; t++) {
      const a = A[i * m + t];
      if (a === 0) continue;
      const b = t * p;
      for (let j = 0; j < p; j++) out[o + j] += a * B[b + j];
    }
  }
  return out;
}

/** out[m×p] = Aᵀ · B for A[n×m], B[n×p]. */
export function matTMul(A: ArrayLike<number>, B: ArrayLike<number>, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(m * p);
  for (let i = 0; i < n; i++) {
    const bi = i * p;
    for (let t = 0; t < m; t++) {
      const a = A[i * m + t];
      if (a === 0) continue;
      const o = t * p;
      for (let j = 0; j < p; j++) out[o + j] += a * B[bi + j];
    }
  }
  return out;
}

/** Orthonormalises the columns of M[rows×cols] in place (modified Gram–Schmidt, twice for stability). */
export function orthonormalizeColumns(M: Float64Array, rows: number, cols: number): Float64Array {
  const col = new Float64Array(rows);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      for (let r = 0; r < rows; r++) col[r] = M[r * cols + j];
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += col[r] * M[r * cols + k];
        for (let r = 0; r < rows; r++) col[r] -= dot * M[r * cols + k];
      }
      let s = 0;
      for (let r = 0; r < rows; r++) s += col[r] * col[r];
      const nrm = Math.sqrt(s) || 1;
      for (let r = 0; r < rows; r++) M[r * cols + j] = col[r] / nrm;
    }
  }
  return M;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations. Returns the
 * eigenvalues in descending order and the eigenvectors as the COLUMNS of `vectors` (n×n).
 */
export function symmetricEigen(S: ArrayLike<number>, n: number, opts: { maxSweeps?: number; tol?: number } = {}) {
  const A = Float64Array.from(S as ArrayLike<number>);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const maxSweeps = opts.maxSweeps ?? 60;
  const tol = opts.tol ?? 1e-12;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i] * A[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
    if (off <= tol * tol * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q (A stays symmetric: update both halves).
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[b * n + b] - A[a * n + a]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let j = 0; j < n; j++) vectors[r * n + j] = V[r * n + order[j]];
  return { values, vectors };
}

/** Seeded standard normal generator (mulberry32 + Box–Muller): reproducible PCA starts. */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Top-k principal directions of the rows of X[n×d] (X already centred), by randomized subspace
 * iteration (Halko et al. 2011): `components` is k×d (rows orthonormal), `variances` the
 * per-direction variance (descending). Cost ≈ (2·iters + 2)·n·d·(k + oversample).
 */
export function randomizedPca(X: ArrayLike<number>, n: number, d: number, k: number, opts: { oversample?: number; iters?: number; seed?: number } = {}) {
  const l = Math.min(d, n, k + (opts.oversample ?? 16));
  const g = normals(opts.seed ?? 1);
  let Z: Float64Array = Float64Array.from({ length: d * l }, g); // d×l
  for (let it = 0; it <= (opts.iters ?? 1); it++) {
    Z = orthonormalizeColumns(matTMul(X, matMul(X, Z, n, d, l), n, d, l), d, l);
  }
  const Y = matMul(X, Z, n, d, l); // n×l
  const C = matTMul(Y, Y, n, l, l);
  const { values, vectors } = symmetricEigen(C, l);
  const kk = Math.min(k, l);
  const components = new Float64Array(kk * d);
  for (let c = 0; c < kk; c++) {
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += Z[r * l + j] * vectors[j * l + c];
      components[c * d + r] = s;
    }
  }
  return { components, variances: Float64Array.from(values.subarray(0, kk), (v) => Math.max(0, v) / Math.max(1, n - 1)), k: kk };
}

/** Within-class and between-class scatter (k×k, averaged per sample / per class) of Y[n×k]. */
export function scatterMatrices(Y: ArrayLike<number>, labels: readonly number[], n: number, k: number) {
  const classes = Math.max(...labels) + 1;
  const means = new Float64Array(classes * k);
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    counts[labels[i]]++;
    for (let j = 0; j < k; j++) means[labels[i] * k + j] += Y[i * k + j];
  }
  for (let c = 0; c < classes; c++) if (counts[c]) for (let j = 0; j < k; j++) means[c * k + j] /= counts[c];
  // Only classes with ≥ 2 samples say anything about within-class spread.
  let nw = 0;
  const resid: number[] = [];
  for (let i = 0; i < n; i++) {
    if (counts[labels[i]] < 2) continue;
    nw++;
    for (let j = 0; j < k; j++) resid.push(Y[i * k + j] - means[labels[i] * k + j]);
  }
  const within = matTMul(resid, resid, nw, k, k);
  for (let i = 0; i < within.length; i++) within[i] /= Math.max(1, nw);
  const present = [...counts.keys()].filter((c) => counts[c] > 0);
  const M = new Float64Array(present.length * k);
  const grand = new Float64Array(k);
  for (const c of present) for (let j = 0; j < k; j++) grand[j] += means[c * k + j] / present.length;
  present.forEach((c, r) => {
    for (let j = 0; j < k; j++) M[r * k + j] = means[c * k + j] - grand[j];
  });
  const between = matTMul(M, M, present.length, k, k);
  for (let i = 0; i < between.length; i++) between[i] /= Math.max(1, present.length);
  return { within, between };
}

/**
 * Within-class covariance normalisation followed by LDA, in a k-dim space: returns the m×k map
 * W = Uᵀ·(Sw + λ·mean(diag Sw)·I)^(-1/2), where U are the top-m eigenvectors of the whitened
 * between-class scatter. With m = k this is WCCN alone (a rotation of the whitened space, so
 * cosines are those of the whitened vectors).
 */
export function wccnLda(within: ArrayLike<number>, between: ArrayLike<number>, k: number, m: number, lambda: number): Float64Array {
  return wccnLdaFamily(within, between, k, lambda)(m);
}

/** wccnLda for several output dimensions m at one (k, λ): the two eigen-decompositions are shared. */
export function wccnLdaFamily(within: ArrayLike<number>, between: ArrayLike<number>, k: number, lambda: number): (m: number) => Float64Array {
  let tr = 0;
  for (let i = 0; i < k; i++) tr += within[i * k + i];
  const reg = Float64Array.from(within as ArrayLike<number>);
  for (let i = 0; i < k; i++) reg[i * k + i] += (lambda * tr) / k;
  const { values, vectors } = symmetricEigen(reg, k);
  // T = Sw^(-1/2) = V diag(1/√λ) Vᵀ (symmetric).
  const T = new Float64Array(k * k);
  for (let e = 0; e < k; e++) {
    const w = 1 / Math.sqrt(Math.max(values[e], 1e-12));
    for (let r = 0; r < k; r++) {
      const vr = vectors[r * k + e] * w;
      if (vr === 0) continue;
      for (let c = 0; c < k; c++) T[r * k + c] += vr * vectors[c * k + e];
    }
  }
  let lda: { values: Float64Array; vectors: Float64Array } | undefined;
  return (m: number) => {
    const mm = Math.min(m, k);
    if (mm >= k) return T;
    if (!lda) {
      const Bw = matMul(matMul(T, between, k, k, k), T, k, k, k);
      for (let r = 0; r < k; r++) for (let c = r + 1; c < k; c++) Bw[r * k + c] = Bw[c * k + r] = (Bw[r * k + c] + Bw[c * k + r]) / 2;
      lda = symmetricEigen(Bw, k);
    }
    const Ut = new Float64Array(mm * k);
    for (let e = 0; e < mm; e++) for (let r = 0; r < k; r++) Ut[e * k + r] = lda.vectors[r * k + e];
    return matMul(Ut, T, mm, k, k);
  };
}

/**
 * Two-class Fisher discriminant on Z[n×k] (labels 0/1), each class weighted equally whatever
 * its size: w = (Sw + λ·mean(diag Sw)·I)⁻¹ (μ₁ − μ₀), scaled and offset so that the class
 * means score +1 (class 1) and −1 (class 0). score(z) = w·z + b.
 */
export function fisherTwoClass(Z: ArrayLike<number>, labels: readonly number[], n: number, k: number, lambda: number): { w: Float64Array; b: number } {
  const mu = [new Float64Array(k), new Float64Array(k)];
  const cnt = [0, 0];
  for (let i = 0; i < n; i++) {
    cnt[labels[i]]++;
    for (let j = 0; j < k; j++) mu[labels[i]][j] += Z[i * k + j];
  }
  if (!cnt[0] || !cnt[1]) throw new RangeError('fisherTwoClass needs samples of both classes');
  for (const c of [0, 1]) for (let j = 0; j < k; j++) mu[c][j] /= cnt[c];
  const Sw = new Float64Array(k * k);
  const r = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    const wgt = 0.5 / cnt[c];
    for (let j = 0; j < k; j++) r[j] = Z[i * k + j] - mu[c][j];
    for (let a = 0; a < k; a++) {
      const ra = r[a] * wgt;
      for (let bb = 0; bb < k; bb++) Sw[a * k + bb] += ra * r[bb];
    }
  }
  let tr = 0;
  for (let i = 0; i < k; i++) tr += Sw[i * k + i];
  for (let i = 0; i < k; i++) Sw[i * k + i] += (lambda * tr) / k;
  const { values, vectors } = symmetricEigen(Sw, k);
  const diff = Float64Array.from(mu[1], (v, j) => v - mu[0][j]);
  // w = V diag(1/λ) Vᵀ diff.
  const w = new Float64Array(k);
  for (let e = 0; e < k; e++) {
    let p = 0;
    for (let j = 0; j < k; j++) p += vectors[j * k + e] * diff[j];
    p /= Math.max(values[e], 1e-12);
    for (let j = 0; j < k; j++) w[j] += vectors[j * k + e] * p;
  }
  let s1 = 0;
  let s0 = 0;
  for (let j = 0; j < k; j++) {
    s1 += w[j] * mu[1][j];
    s0 += w[j] * mu[0][j];
  }
  const scale = 2 / (s1 - s0 || 1);
  for (let j = 0; j < k; j++) w[j] *= scale;
  return { w, b: -((s1 + s0) / 2) * scale };
}
