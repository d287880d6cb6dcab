"""GloVe training: AdaGrad on the weighted least-squares cost, Hogwild over threads (numba),
as glove.c does. See docs/glove.md for the details and where we differ."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from embedcli.errors import EmbedcliError, OptionsError
from embedcli.training.glove.cooccur import Cooccurrences, _numba_threads, default_workers

DTYPE = np.float32  # parameters; co-occurrence values are float64
GRAD_CLIP = 100.0  # glove.c's default -grad-clip
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # no nnan/ninf: the NaN guards must stay


# --------------------------------------------------------------------------------------------
# Training


@dataclass
class GloveModel:
    W: np.ndarray  # (V, D) word vectors
    W_ctx: np.ndarray  # (V, D) context vectors
    b: np.ndarray  # (V,) word biases
    b_ctx: np.ndarray  # (V,) context biases
    gradsq_W: np.ndarray
    gradsq_ctx: np.ndarray
    gradsq_b: np.ndarray
    gradsq_bctx: np.ndarray
    costs: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def vector_size(self) -> int:
        return int(self.W.shape[1])

    def word_vectors(self) -> np.ndarray:
        """W + W_ctx, what glove.c writes by default (-model 2)."""
        return self.W + self.W_ctx

    def copy(self) -> GloveModel:
        return GloveModel(
            *(getattr(self, name).copy() for name in _PARAMS),
            costs=list(self.costs),
            epoch_seconds=list(self.epoch_seconds),
        )


_PARAMS = ("W", "W_ctx", "b", "b_ctx", "gradsq_W", "gradsq_ctx", "gradsq_b", "gradsq_bctx")


def init_model(vocab_size: int, vector_size: int, rng: np.random.Generator) -> GloveModel:
    """Parameters uniform in [-0.5, 0.5] / (vector_size + 1), squared gradients 1 (glove.c)."""
    scale = 1.0 / (vector_size + 1)
    W = (rng.random((vocab_size, vector_size)) - 0.5) * scale
    W_ctx = (rng.random((vocab_size, vector_size)) - 0.5) * scale
    b = (rng.random(vocab_size) - 0.5) * scale
    b_ctx = (rng.random(vocab_size) - 0.5) * scale
    return GloveModel(
        W=W.astype(DTYPE, copy=False),
        W_ctx=W_ctx.astype(DTYPE, copy=False),
        b=b.astype(DTYPE, copy=False),
        b_ctx=b_ctx.astype(DTYPE, copy=False),
        gradsq_W=np.ones((vocab_size, vector_size), DTYPE),
        gradsq_ctx=np.ones((vocab_size, vector_size), DTYPE),
        gradsq_b=np.ones(vocab_size, DTYPE),
        gradsq_bctx=np.ones(vocab_size, DTYPE),
    )


@intrinsic
def _prefetch_line(typingctx, arr, byte_offset):
    """Ask the CPU to start loading the cache line at arr's data + byte_offset (a hint only)."""
    if not isinstance(arr, types.Array) or not isinstance(byte_offset, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        byte_ptr = ir.IntType(8).as_pointer()
        offset = context.cast(builder, args[1], signature.args[1], types.intp)
        address = builder.gep(builder.bitcast(ary.data, byte_ptr), [offset])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [byte_ptr], fnty)
        # read, keep in all cache levels, data cache
        builder.call(fn, [address, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, byte_offset), codegen


_AHEAD = 16  # non-zeros between prefetching a pair's parameter rows and updating them


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _epoch_slice(
    rows, cols, values, order, first, last, W, Wc, b, bc, gW, gWc, gb, gbc, x_max, alpha, eta, clip
):
    """AdaGrad updates for the non-zeros order[first:last], in that order; returns the cost sum.

    Vector arithmetic is float32 (error_model="numpy" and fastmath let LLVM vectorize it);
    the cost, the diff and the weight are float64. The co-occurrence entry 2 * _AHEAD places
    ahead and the parameter rows of the one _AHEAD places ahead are prefetched: in shuffled
    order every update would otherwise wait on main memory several times.
    """
    dim = W.shape[1]
    row_bytes = dim * W.itemsize
    eta32 = np.float32(eta)
    clip32 = np.float32(clip)
    step1 = np.empty(dim, W.dtype)
    step2 = np.empty(dim, W.dtype)
    cost = 0.0
    for a in range(first, last):
        if a + 2 * _AHEAD < last:
            e = order[a + 2 * _AHEAD]
            _prefetch_line(rows, e * rows.itemsize)
            _prefetch_line(cols, e * cols.itemsize)
            _prefetch_line(values, e * values.itemsize)
        if a + _AHEAD < last:
            e = order[a + _AHEAD]
            i_at = np.int64(rows[e]) * row_bytes
            j_at = np.int64(cols[e]) * row_bytes
            for line in range(0, row_bytes, 64):
                _prefetch_line(W, i_at + line)
                _prefetch_line(gW, i_at + line)
                _prefetch_line(Wc, j_at + line)
                _prefetch_line(gWc, j_at + line)
        e = order[a]
        i = rows[e]
        j = cols[e]
        x = values[e]
        w = W[i]
        wc = Wc[j]
        g = gW[i]
        gc = gWc[j]
        dot = np.float32(0.0)
        for d in range(dim):
            dot += w[d] * wc[d]
        diff = np.float64(dot) + np.float64(b[i]) + np.float64(bc[j]) - math.log(x)
        fdiff = diff if x > x_max else (x / x_max) ** alpha * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            continue
        cost += 0.5 * fdiff * diff
        fd = np.float32(fdiff)
        sum1 = np.float32(0.0)
        sum2 = np.float32(0.0)
        for d in range(dim):
            g1 = min(max(fd * wc[d], -clip32), clip32) * eta32
            g2 = min(max(fd * w[d], -clip32), clip32) * eta32
            step1[d] = g1 / np.sqrt(g[d])
            step2[d] = g2 / np.sqrt(gc[d])
            sum1 += step1[d]
            sum2 += step2[d]
            g[d] += g1 * g1
            gc[d] += g2 * g2
        if math.isfinite(sum1) and math.isfinite(sum2):
            for d in range(dim):
                w[d] -= step1[d]
            for d in range(dim):
                wc[d] -= step2[d]
        u = fdiff / math.sqrt(gb[i])
        if math.isfinite(u):
            b[i] -= u
        u = fdiff / math.sqrt(gbc[j])
        if math.isfinite(u):
            bc[j] -= u
        gb[i] += fdiff * fdiff
        gbc[j] += fdiff * fdiff
    return cost


@numba.njit(cache=True, nogil=True, parallel=True)
def _epoch_kernel(
    rows, cols, values, order, W, Wc, b, bc, gW, gWc, gb, gbc, x_max, alpha, eta, clip, slices
):
    """One pass over values[order]; returns the cost sum.

    Slice t of the order goes to thread t (the last slice also takes the remainder), and the
    threads update the shared parameters without locks (Hogwild), as glove.c's threads do.
    The work is in _epoch_slice so that numba's parallel passes see only this small loop.
    """
    n = order.size
    per = n // slices
    costs = np.zeros(slices, np.float64)
    for t in numba.prange(slices):
        first = t * per
        last = n if t == slices - 1 else first + per
        costs[t] = _epoch_slice(
            rows,
            cols,
            values,
            order,
            first,
            last,
            W,
            Wc,
            b,
            bc,
            gW,
            gWc,
            gb,
            gbc,
            x_max,
            alpha,
            eta,
            clip,
        )
    return costs.sum()


def _check_training_options(vector_size, x_max, alpha, eta, epochs, workers, grad_clip) -> None:
    problems = []
    if vector_size < 1:
        problems.append("vector_size must be at least 1")
    if epochs < 1:
        problems.append("epochs must be at least 1")
    if not x_max > 0:
        problems.append("x_max must be positive (the GloVe default is 100)")
    if not alpha >= 0:
        problems.append("alpha must be 0 or more (the GloVe default is 0.75)")
    if not eta > 0:
        problems.append("eta must be positive (the GloVe default is 0.05)")
    if not grad_clip > 0:
        problems.append("grad_clip must be positive (the GloVe default is 100)")
    if workers is not None and workers < 1:
        problems.append("workers must be 1 or more (leave it out for one per core)")
    if problems:
        raise OptionsError("; ".join(problems) + ".")


def _check_cooccurrences(cooc: Cooccurrences) -> None:
    if cooc.nnz == 0 or cooc.vocab_size < 1:
        raise EmbedcliError("The co-occurrence matrix is empty: count a corpus with more text.")


def _check_inputs(cooc: Cooccurrences, model: GloveModel, order: np.ndarray) -> None:
    """The kernel does no bounds checks: make sure every index it follows is in range."""
    _check_cooccurrences(cooc)
    V, D = cooc.vocab_size, model.vector_size
    if not (cooc.rows.size == cooc.cols.size == cooc.nnz):
        raise EmbedcliError("Co-occurrence rows, cols and values differ in length: recount.")
    for name in _PARAMS:
        array = getattr(model, name)
        shape = (V, D) if array.ndim == 2 else (V,)
        if array.shape != shape or not array.flags.c_contiguous:
            raise EmbedcliError(
                f"Model array {name} has shape {array.shape}, not {shape} (C-ordered) as the "
                f"co-occurrences need: initialise the model with init_model."
            )
    for name, ids in (("rows", cooc.rows), ("cols", cooc.cols)):
        if ids.min() < 0 or ids.max() >= V:
            raise EmbedcliError(f"Co-occurrence {name} leave the vocabulary of {V}: recount.")
    if order.size and (order.min() < 0 or order.max() >= cooc.nnz):
        raise EmbedcliError(f"The order has entries outside 0..{cooc.nnz - 1}.")


# Non-zeros per call into the kernel: between calls Python runs, so Ctrl-C and SIGTERM are
# noticed within one slice (a fraction of a second), not only between epochs. With one worker
# the slices run the same updates in the same order as one call would.
SLICE = 1 << 21


def train_epoch(
    cooc: Cooccurrences,
    model: GloveModel,
    order: np.ndarray,
    *,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    grad_clip: float = GRAD_CLIP,
    workers: int = 1,
    slice_size: int = SLICE,
) -> float:
    """One AdaGrad pass over the non-zeros in `order`, updating `model` in place (numba).

    Returns the epoch's cost, sum(0.5 * f * diff^2) / len(order). The pass runs in slices of
    `slice_size` non-zeros, each split over the workers, so a signal stops it within a slice.
    """
    _check_inputs(cooc, model, order)
    params = [getattr(model, name) for name in _PARAMS]
    total = 0.0
    step = max(1, int(slice_size))
    with _numba_threads(max(1, min(workers, order.size))):
        for first in range(0, order.size, step):
            part = order[first : first + step]
            total += _epoch_kernel(
                cooc.rows,
                cooc.cols,
                cooc.values,
                part,
                *params,
                float(x_max),
                float(alpha),
                float(eta),
                float(grad_clip),
                max(1, min(workers, part.size)),
            )
    return float(total) / order.size


def epoch_reference(
    cooc: Cooccurrences,
    model: GloveModel,
    order: np.ndarray,
    *,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    grad_clip: float = GRAD_CLIP,
) -> float:
    """`train_epoch` with one worker, written plainly in NumPy, to check the kernel against.

    Same arithmetic: vector steps in the parameters' dtype (a Python float scalar times a
    float32 row stays float32), diff, weight, cost and bias steps in float64.
    """
    W, Wc, b, bc = model.W, model.W_ctx, model.b, model.b_ctx
    gW, gWc, gb, gbc = model.gradsq_W, model.gradsq_ctx, model.gradsq_b, model.gradsq_bctx
    cost = 0.0
    for e in order:
        i, j, x = int(cooc.rows[e]), int(cooc.cols[e]), float(cooc.values[e])
        diff = float(W[i] @ Wc[j]) + float(b[i]) + float(bc[j]) - math.log(x)
        fdiff = diff if x > x_max else (x / x_max) ** alpha * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            continue
        cost += 0.5 * fdiff * diff
        g1 = np.clip(fdiff * Wc[j], -grad_clip, grad_clip) * eta
        g2 = np.clip(fdiff * W[i], -grad_clip, grad_clip) * eta
        step1 = g1 / np.sqrt(gW[i])
        step2 = g2 / np.sqrt(gWc[j])
        gW[i] += g1 * g1
        gWc[j] += g2 * g2
        if np.isfinite(step1.sum()) and np.isfinite(step2.sum()):
            W[i] -= step1
            Wc[j] -= step2
        for bias, gsq, k in ((b, gb, i), (bc, gbc, j)):
            step = fdiff / math.sqrt(float(gsq[k]))
            if math.isfinite(step):
                bias[k] = float(bias[k]) - step
            gsq[k] = float(gsq[k]) + fdiff * fdiff
    return cost / len(order)


@numba.njit(cache=True, nogil=True)
def _scatter_by_label(values, labels, buckets, out):
    """Stable scatter of values into out grouped by label; returns the groups' boundaries."""
    bounds = np.zeros(buckets + 1, np.int64)
    for label in labels:
        bounds[label + 1] += 1
    for k in range(buckets):
        bounds[k + 1] += bounds[k]
    nxt = bounds[:-1].copy()
    for e in range(values.size):
        k = labels[e]
        out[nxt[k]] = values[e]
        nxt[k] += 1
    return bounds


_SHUFFLE_BUCKET = 1 << 15  # elements per bucket: a bucket's Fisher-Yates stays in L2 cache


def shuffled(values: np.ndarray, rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """A uniformly random permutation of `values` written to `out`, drawn from `rng`.

    Rao-Sandelius: each element goes to one of k buckets at random, then each bucket is
    shuffled (Fisher-Yates, numpy's Generator.shuffle). That is as uniform as one
    Fisher-Yates over the whole array, but each bucket fits in cache, which makes it several
    times faster on millions of elements (one big Fisher-Yates misses cache on every swap).
    """
    buckets = min(1 << 16, 1 << max(0, math.ceil(math.log2(max(1, values.size) / _SHUFFLE_BUCKET))))
    if buckets == 1:
        out[:] = values
        rng.shuffle(out)
        return out
    labels = rng.integers(0, buckets, values.size, dtype=np.uint16)
    bounds = _scatter_by_label(values, labels, buckets, out)
    del labels
    for k in range(buckets):
        rng.shuffle(out[bounds[k] : bounds[k + 1]])
    return out


def train_glove(
    cooc: Cooccurrences,
    *,
    vector_size: int = 100,
    x_max: float = 100.0,
    alpha: float = 0.75,
    eta: float = 0.05,
    epochs: int = 15,
    seed: int = 1,
    workers: int | None = None,
    grad_clip: float = GRAD_CLIP,
    on_epoch: Callable[[int, float, float], None] | None = None,
    start: tuple[int, GloveModel, dict] | None = None,
    after_epoch: Callable[[int, GloveModel, dict], None] | None = None,
) -> GloveModel:
    """Train GloVe vectors on counted co-occurrences.

    on_epoch(epoch, cost, seconds) follows each epoch (1-based); the seconds include that
    epoch's shuffle. workers: threads, default one per core.

    `start=(epochs_done, model, rng_state)` goes on from a checkpoint (or trains a model
    further); `after_epoch(epoch, model, rng_state)` is called after each epoch to write one.
    Each epoch's order is a fresh shuffle of 0..nnz-1 drawn from the generator, so the
    generator's state is all a checkpoint needs to repeat the rest of the run exactly.
    """
    _check_training_options(vector_size, x_max, alpha, eta, epochs, workers, grad_clip)
    _check_cooccurrences(cooc)
    workers = default_workers() if workers is None else workers
    rng = np.random.default_rng(seed)
    if start is None:
        done, model = 0, init_model(cooc.vocab_size, vector_size, rng)
    else:
        done, model, rng_state = start
        rng.bit_generator.state = rng_state
        _check_inputs(cooc, model, np.zeros(0, np.int64))
    base = np.arange(cooc.nnz, dtype=np.int32 if cooc.nnz < 2**31 else np.int64)
    order = np.empty_like(base)
    for epoch in range(done + 1, epochs + 1):
        started = time.perf_counter()
        shuffled(base, rng, out=order)
        cost = train_epoch(
            cooc,
            model,
            order,
            x_max=x_max,
            alpha=alpha,
            eta=eta,
            grad_clip=grad_clip,
            workers=workers,
        )
        seconds = time.perf_counter() - started
        if not math.isfinite(cost):
            raise EmbedcliError(
                f"GloVe training diverged at epoch {epoch} (cost {cost}): lower eta."
            )
        model.costs.append(cost)
        model.epoch_seconds.append(seconds)
        if after_epoch is not None:
            after_epoch(epoch, model, rng.bit_generator.state)
        if on_epoch is not None:
            on_epoch(epoch, cost, seconds)
    return model
