// The BicycleGAN generator: a U-Net that takes the input image A and a latent code z.
// where_add 'input' (G_Unet_add_input): z tiled to HxW and concatenated to A once.
// where_add 'all' (G_Unet_add_all): z tiled and concatenated to the input of every down block; the
// skip connection carries the block input without z. Module and parameter names follow the official
// PyTorch code, so its state dicts map one to one.
//
// The skip of G_Unet_add_input's blocks: the official UnetBlock's downrelu is nn.LeakyReLU(0.2, True),
// in place, and the first layer of every non-outermost block's model; its forward is
// torch.cat([self.model(x), x], 1), so by the time cat reads x, x holds lrelu(x). The skip of every
// non-outermost block (the innermost included) carries LeakyReLU(0.2)(x), for every --nl and --norm
// (downrelu is always LeakyReLU; nl only picks uprelu). The skip goes straight into the parent's
// uprelu, so with --nl relu it does not show (relu(lrelu(x)) = relu(x), gradients too); with --nl
// lrelu it does (lrelu(lrelu(x)) != lrelu(x)). uprelu (nn.ReLU/LeakyReLU, inplace=True too)
// changes nothing else: it runs on a fresh tensor (the submodule's cat or a conv output) used nowhere
// else. UnetBlock_with_z (where_add 'all') runs downrelu on x_and_z = torch.cat([x, z_img], 1), a new
// tensor, so its skip carries x itself; only with nz = 0 (x_and_z is x) would it carry lrelu(x), and
// the official define_G switches nz = 0 to 'input' anyway. We match this functionally: the activated
// input is what the skip concatenates (gradients then flow as through PyTorch's in-place op).
import { Conv2d } from '../../nn/conv.ts';
import { LeakyReLU, Sequential, Tanh } from '../../nn/layers.ts';
import { Module } from '../../nn/module.ts';
import { Dropout } from '../../nn/pool.ts';
import { concat, concatExpand } from '../../ops/shape.ts';
import type { Tensor } from '../../tensor.ts';
import {
  type NonLinearity,
  type NormType,
  nlLayer,
  normLayer,
  present,
  type UpsampleType,
  upsampleLayer,
} from './blocks.ts';

/**
 * Options of UnetGenerator: channels, nz (0: pix2pix, no code), depth, width, norm, dropout, upsampling,
 * where z enters.
 */
export interface GeneratorOpts {
  inputNc: number;
  outputNc: number;
  nz: number;
  /** Down-samplings: 8 for unet_256, 7 for unet_128 (input size = 2^numDowns). */
  numDowns: number;
  ngf?: number;
  norm?: NormType;
  nl?: NonLinearity;
  useDropout?: boolean;
  upsample?: UpsampleType;
  whereAdd?: 'input' | 'all';
}

/**
 * z [N, nz] (or [N, nz, 1, 1]) tiled over an HxW map and appended to x's channels (one launch: no
 * tiled z image).
 */
export function catZ(x: Tensor, z: Tensor): Tensor {
  const z4 = z.ndim === 4 ? z : z.reshape([x.shape[0], z.shape[1], 1, 1]);
  const out = concatExpand([x, z4], 1);
  if (!out.requiresGrad && z4 !== z) z4.dispose();
  return out;
}

interface BlockRole {
  outermost?: boolean;
  innermost?: boolean;
}

/** UnetBlock: down -> submodule -> up, with the block input concatenated as the skip. */
class UnetBlock extends Module {
  readonly model: Sequential;
  constructor(
    inputNc: number,
    outerNc: number,
    innerNc: number,
    sub: UnetBlock | null,
    role: BlockRole,
    o: Required<Omit<GeneratorOpts, 'inputNc' | 'outputNc' | 'nz' | 'numDowns' | 'whereAdd'>>,
  ) {
    super();
    this.outermost = !!role.outermost;
    const downconv = new Conv2d(inputNc, innerNc, 4, { stride: 2, padding: 1 });
    let layers: Module[];
    if (role.outermost) {
      layers = [
        downconv,
        sub!,
        nlLayer(o.nl),
        ...upsampleLayer(innerNc * 2, outerNc, o.upsample),
        new Tanh(),
      ];
    } else if (role.innermost) {
      layers = present(
        new LeakyReLU(0.2),
        downconv,
        nlLayer(o.nl),
        ...upsampleLayer(innerNc, outerNc, o.upsample),
        normLayer(o.norm, outerNc),
      );
    } else {
      layers = present(
        new LeakyReLU(0.2),
        downconv,
        normLayer(o.norm, innerNc),
        sub,
        nlLayer(o.nl),
        ...upsampleLayer(innerNc * 2, outerNc, o.upsample),
        normLayer(o.norm, outerNc),
        o.useDropout ? new Dropout(0.5) : null,
      );
    }
    this.model = this.registerModule('model', new Sequential(...layers));
  }
  readonly outermost: boolean;

  forward(x: Tensor): Tensor {
    if (this.outermost) return this.model.call(x);
    // model.0 is downrelu, in place in the official code: the skip carries its output (file header).
    const activated = this.model.at(0).call(x);
    let y = activated;
    for (let i = 1; i < this.model.length; i++) y = this.model.at(i).call(y);
    return concat([y, activated], 1);
  }
}

/** UnetBlock_with_z: like UnetBlock, but z is appended to this block's input before its down conv. */
class UnetBlockWithZ extends Module<[Tensor, Tensor]> {
  readonly down: Sequential;
  readonly submodule: UnetBlockWithZ | null;
  readonly up: Sequential;
  readonly outermost: boolean;
  readonly innermost: boolean;

  constructor(
    inputNc: number,
    outerNc: number,
    innerNc: number,
    readonly nz: number,
    sub: UnetBlockWithZ | null,
    role: BlockRole,
    o: Required<Omit<GeneratorOpts, 'inputNc' | 'outputNc' | 'nz' | 'numDowns' | 'whereAdd'>>,
  ) {
    super();
    this.outermost = !!role.outermost;
    this.innermost = !!role.innermost;
    const downconv = new Conv2d(inputNc + nz, innerNc, 4, { stride: 2, padding: 1 });
    let down: Module[];
    let up: Module[];
    if (role.outermost) {
      down = [downconv];
      up = [nlLayer(o.nl), ...upsampleLayer(innerNc * 2, outerNc, o.upsample), new Tanh()];
    } else if (role.innermost) {
      down = [new LeakyReLU(0.2), downconv];
      up = present(nlLayer(o.nl), ...upsampleLayer(innerNc, outerNc, o.upsample), normLayer(o.norm, outerNc));
    } else {
      down = present(new LeakyReLU(0.2), downconv, normLayer(o.norm, innerNc));
      up = present(
        nlLayer(o.nl),
        ...upsampleLayer(innerNc * 2, outerNc, o.upsample),
        normLayer(o.norm, outerNc),
        o.useDropout ? new Dropout(0.5) : null,
      );
    }
    this.down = this.registerModule('down', new Sequential(...down));
    this.submodule = sub ? this.registerModule('submodule', sub) : null;
    this.up = this.registerModule('up', new Sequential(...up));
  }

  forward(x: Tensor, z: Tensor): Tensor {
    let skip = x;
    let d: Tensor;
    if (this.nz > 0 || this.outermost) d = this.down.call(this.nz > 0 ? catZ(x, z) : x);
    else {
      // nz = 0: x_and_z is x itself, so the in-place downrelu (down.0) changes the skip too.
      skip = this.down.at(0).call(x);
      d = skip;
      for (let i = 1; i < this.down.length; i++) d = this.down.at(i).call(d);
    }
    const inner = this.submodule ? this.submodule.call(d, z) : d;
    const y = this.up.call(inner);
    if (this.outermost) return y;
    return concat([y, skip], 1);
  }
}

/**
 * G_Unet_add_input / G_Unet_add_all, chosen by whereAdd. forward(A [N, inputNc, S, S], z [N, nz]); with
 * nz = 0 (pix2pix's U-Net, whereAdd 'input') z is left out: forward(A).
 */
export class UnetGenerator extends Module<[Tensor, Tensor?]> {
  readonly model: UnetBlock | UnetBlockWithZ;
  readonly opts: Required<GeneratorOpts>;

  constructor(opts: GeneratorOpts) {
    super();
    const o: Required<GeneratorOpts> = {
      ngf: 64,
      norm: 'instance',
      nl: 'relu',
      useDropout: false,
      upsample: 'basic',
      whereAdd: 'all',
      ...opts,
    };
    this.opts = o;
    const { ngf, nz, numDowns } = o;
    const minDowns = o.whereAdd === 'all' ? 6 : 5;
    if (!Number.isInteger(numDowns) || numDowns < minDowns) {
      throw new Error(
        `UnetGenerator: numDowns must be an integer >= ${minDowns} for where_add '${o.whereAdd}', got ${numDowns}`,
      );
    }
    if (o.whereAdd === 'all') {
      const B = (
        i: number,
        out: number,
        inner: number,
        sub: UnetBlockWithZ | null,
        role: BlockRole = {},
        drop = false,
      ) => new UnetBlockWithZ(i, out, inner, nz, sub, role, { ...o, useDropout: drop && o.useDropout });
      let b = B(ngf * 8, ngf * 8, ngf * 8, null, { innermost: true });
      b = B(ngf * 8, ngf * 8, ngf * 8, b, {}, true);
      for (let i = 0; i < numDowns - 6; i++) b = B(ngf * 8, ngf * 8, ngf * 8, b, {}, true);
      b = B(ngf * 4, ngf * 4, ngf * 8, b);
      b = B(ngf * 2, ngf * 2, ngf * 4, b);
      b = B(ngf, ngf, ngf * 2, b);
      this.model = this.registerModule('model', B(o.inputNc, o.outputNc, ngf, b, { outermost: true }));
    } else if (o.whereAdd === 'input') {
      const B = (
        i: number,
        out: number,
        inner: number,
        sub: UnetBlock | null,
        role: BlockRole = {},
        drop = false,
      ) => new UnetBlock(i, out, inner, sub, role, { ...o, useDropout: drop && o.useDropout });
      let b = B(ngf * 8, ngf * 8, ngf * 8, null, { innermost: true });
      for (let i = 0; i < numDowns - 5; i++) b = B(ngf * 8, ngf * 8, ngf * 8, b, {}, true);
      b = B(ngf * 4, ngf * 4, ngf * 8, b);
      b = B(ngf * 2, ngf * 2, ngf * 4, b);
      b = B(ngf, ngf, ngf * 2, b);
      this.model = this.registerModule('model', B(o.inputNc + nz, o.outputNc, ngf, b, { outermost: true }));
    } else {
      throw new Error(`UnetGenerator: where_add must be 'input' or 'all', got '${o.whereAdd}'`);
    }
  }

  forward(a: Tensor, z?: Tensor): Tensor {
    const { inputNc, nz, numDowns } = this.opts;
    const size = 2 ** numDowns;
    if (a.ndim !== 4 || a.shape[1] !== inputNc) {
      throw new Error(`UnetGenerator: input must be [N, ${inputNc}, H, W], got [${a.shape.join(', ')}]`);
    }
    if (a.shape[2] % size !== 0 || a.shape[3] % size !== 0) {
      throw new Error(
        `UnetGenerator: input ${a.shape[2]}x${a.shape[3]} must be a multiple of ${size} (2^numDowns)`,
      );
    }
    if (nz > 0 && (z?.ndim !== 2 || z.shape[0] !== a.shape[0] || z.shape[1] !== nz)) {
      throw new Error(
        `UnetGenerator: z must be [${a.shape[0]}, ${nz}], got ${z ? `[${z.shape.join(', ')}]` : 'none'}`,
      );
    }
    if (this.model instanceof UnetBlockWithZ) {
      // One [N, nz, 1, 1] view for every block: its gradient then sums in place across them.
      if (nz === 0) return this.model.call(a, z!);
      const z4 = z!.reshape([z!.shape[0], nz, 1, 1]);
      const y = this.model.call(a, z4);
      if (!y.requiresGrad) z4.dispose();
      return y;
    }
    const x = nz > 0 ? catZ(a, z!) : a;
    return (this.model as UnetBlock).call(x);
  }
}
