// The chainable Tensor methods (x.add(y).relu(), loss.backward()), attached to Tensor's prototype
// here, above every op, so that tensor.ts never imports an op: the ops import tensor.ts, and this
// file imports both. Everything above the ops (nn, optim, models, the package root) imports this
// file, so the methods exist wherever a Tensor can be reached from the public API. Inside src/ops and
// src/kernels, call the functions, not these methods.
import { backward } from './autograd.ts';
import * as E from './ops/elementwise.ts';
import * as M from './ops/matmul.ts';
import * as R from './ops/reduce.ts';
import * as S from './ops/shape.ts';
import type { Shape } from './shape.ts';
import { type Scalar, Tensor } from './tensor.ts';

type Operand = Tensor | Scalar;
type Axes = number | number[];

declare module './tensor.ts' {
  interface Tensor {
    /**
     * Backpropagates from this tensor; a non-scalar needs the gradient of its output. The graph is
     * freed afterwards unless `retainGraph` (a second backward through shared parts).
     */
    backward(grad?: Tensor, opts?: { retainGraph?: boolean }): void;
    add(o: Operand): Tensor;
    sub(o: Operand): Tensor;
    mul(o: Operand): Tensor;
    div(o: Operand): Tensor;
    pow(o: Operand): Tensor;
    maximum(o: Operand): Tensor;
    minimum(o: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    relu(): Tensor;
    leakyRelu(slope?: number): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    clone(): Tensor;
    gt(o: Operand): Tensor;
    lt(o: Operand): Tensor;
    ge(o: Operand): Tensor;
    le(o: Operand): Tensor;
    eq(o: Operand): Tensor;
    ne(o: Operand): Tensor;
    sum(axes?: Axes, keepDim?: boolean): Tensor;
    mean(axes?: Axes, keepDim?: boolean): Tensor;
    max(axes?: Axes, keepDim?: boolean): Tensor;
    matmul(o: Tensor): Tensor;
    reshape(shape: Shape): Tensor;
    flatten(startDim?: number): Tensor;
    permute(dims: number[]): Tensor;
    transpose(d0?: number, d1?: number): Tensor;
    expand(shape: Shape): Tensor;
    slice(starts: number[], ends: number[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    pad(pads: [number, number][], value?: number): Tensor;
  }
}

const methods: ThisType<Tensor> & Partial<Tensor> = {
  backward(grad, opts) {
    backward(this, grad, opts);
  },
  add(o) {
    return E.add(this, o);
  },
  sub(o) {
    return E.sub(this, o);
  },
  mul(o) {
    return E.mul(this, o);
  },
  div(o) {
    return E.div(this, o);
  },
  pow(o) {
    return E.pow(this, o);
  },
  maximum(o) {
    return E.maximum(this, o);
  },
  minimum(o) {
    return E.minimum(this, o);
  },
  neg() {
    return E.neg(this);
  },
  exp() {
    return E.exp(this);
  },
  log() {
    return E.log(this);
  },
  sqrt() {
    return E.sqrt(this);
  },
  abs() {
    return E.abs(this);
  },
  square() {
    return E.pow(this, 2);
  },
  relu() {
    return E.relu(this);
  },
  leakyRelu(slope = 0.01) {
    return E.leakyRelu(this, slope);
  },
  tanh() {
    return E.tanh(this);
  },
  sigmoid() {
    return E.sigmoid(this);
  },
  clone() {
    return E.clone(this);
  },
  gt(o) {
    return E.compare('gt', this, o);
  },
  lt(o) {
    return E.compare('lt', this, o);
  },
  ge(o) {
    return E.compare('ge', this, o);
  },
  le(o) {
    return E.compare('le', this, o);
  },
  eq(o) {
    return E.compare('eq', this, o);
  },
  ne(o) {
    return E.compare('ne', this, o);
  },
  sum(axes, keepDim = false) {
    return R.sum(this, axes, keepDim);
  },
  mean(axes, keepDim = false) {
    return R.mean(this, axes, keepDim);
  },
  max(axes, keepDim = false) {
    return R.max(this, axes, keepDim);
  },
  matmul(o) {
    return M.matmul(this, o);
  },
  reshape(shape) {
    return S.reshape(this, shape);
  },
  flatten(startDim = 0) {
    return S.reshape(this, [...this.shape.slice(0, startDim), -1]);
  },
  permute(dims) {
    return S.permute(this, dims);
  },
  transpose(d0 = -2, d1 = -1) {
    return S.transpose(this, d0, d1);
  },
  expand(shape) {
    return S.expand(this, shape);
  },
  slice(starts, ends) {
    return S.slice(this, starts, ends);
  },
  narrow(dim, start, length) {
    return S.narrow(this, dim, start, length);
  },
  pad(pads, value = 0) {
    return S.pad(this, pads, value);
  },
};

Object.assign(Tensor.prototype, methods);
