// netE 'resnet18': torchvision's ResNet-18 trunk (as the 128x128 seed port, which starts E from a
// pretrained ResNet-18) with two linear heads for mu and logvar. Module names follow torchvision
// (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, ...), so a converted torchvision state dict
// loads with loadTrunk(); its 1000-class `fc` is not part of this model and is skipped.
import { Conv2d } from '../../nn/conv.ts';
import { Linear, Sequential } from '../../nn/layers.ts';
import { Module, type StateValue } from '../../nn/module.ts';
import { BatchNorm2d } from '../../nn/norm.ts';
import { MaxPool2d } from '../../nn/pool.ts';
import { mean } from '../../ops/reduce.ts';
import type { Tensor } from '../../tensor.ts';
import type { Encoded } from './encoder.ts';

class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inC: number, outC: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inC, outC, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outC));
    this.conv2 = this.registerModule('conv2', new Conv2d(outC, outC, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outC));
    this.downsample =
      stride !== 1 || inC !== outC
        ? this.registerModule(
            'downsample',
            new Sequential(new Conv2d(inC, outC, 1, { stride, bias: false }), new BatchNorm2d(outC)),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    const h = this.bn2.call(this.conv2.call(this.bn1.call(this.conv1.call(x)).relu()));
    const identity = this.downsample ? this.downsample.call(x) : x;
    return h.add(identity).relu();
  }
}

/**
 * A torchvision ResNet-18 trunk as encoder (torchvision's parameter names; `loadTrunk` loads its weights)
 * with mu/logvar heads.
 */
export class ResNet18Encoder extends Module<[Tensor], Encoded> {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool: MaxPool2d;
  readonly layers: Sequential[] = [];
  readonly fcMu: Linear;
  readonly fcLogvar: Linear;

  constructor(opts: { inputNc: number; nz: number }) {
    super();
    this.conv1 = this.registerModule(
      'conv1',
      new Conv2d(opts.inputNc, 64, 7, { stride: 2, padding: 3, bias: false }),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.maxpool = this.registerModule('maxpool', new MaxPool2d({ kernel: 3, stride: 2, padding: 1 }));
    const widths = [64, 128, 256, 512];
    let inC = 64;
    widths.forEach((w, i) => {
      const stride = i === 0 ? 1 : 2;
      this.layers.push(
        this.registerModule(
          `layer${i + 1}`,
          new Sequential(new BasicBlock(inC, w, stride), new BasicBlock(w, w, 1)),
        ),
      );
      inC = w;
    });
    this.fcMu = this.registerModule('fc_mu', new Linear(512, opts.nz));
    this.fcLogvar = this.registerModule('fc_logvar', new Linear(512, opts.nz));
  }

  forward(x: Tensor): Encoded {
    let h = this.maxpool.call(this.bn1.call(this.conv1.call(x)).relu());
    for (const l of this.layers) h = l.call(h);
    const pooled = mean(h, [2, 3]); // adaptive average pool to 1x1, flattened
    return { mu: this.fcMu.call(pooled), logvar: this.fcLogvar.call(pooled) };
  }

  /**
   * Loads a torchvision ResNet-18 state dict into the trunk. Every trunk name must be present with its
   * shape; torchvision's classifier (fc.*) is skipped; the mu/logvar heads keep their initialisation.
   * Returns the names that were skipped.
   */
  loadTrunk(dict: Record<string, StateValue>): string[] {
    const own = new Set(this.stateDictNames());
    const trunk: Record<string, StateValue> = {};
    const skipped: string[] = [];
    for (const [k, v] of Object.entries(dict)) {
      if (own.has(k) && !k.startsWith('fc_')) trunk[k] = v;
      else skipped.push(k);
    }
    const heads = [...own].filter((k) => k.startsWith('fc_'));
    this.loadStateDict(
      { ...trunk, ...Object.fromEntries(heads.map((k) => [k, this.stateTensor(k)])) },
      { strict: true },
    );
    return skipped;
  }

  private stateDictNames(): string[] {
    return [...this.namedParameters(), ...this.namedBuffers()].map(([k]) => k);
  }

  private stateTensor(name: string): Tensor {
    const found = [...this.namedParameters(), ...this.namedBuffers()].find(([k]) => k === name);
    if (!found) throw new Error(`ResNet18Encoder: no tensor named ${name}`);
    return found[1];
  }
}
