"""Record golden data for the PyTorch model readers (static and live) from real PyTorch.

Run (needs torch 2.13.0 CPU, torchinfo 1.8.0 and numpy; torchvision is NOT needed):

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch==2.13.0 numpy
    /tmp/venv-torch/bin/pip install --no-deps torchinfo==1.8.0
    /tmp/venv-torch/bin/python tools/gen_golden_models_torch.py [name ...]

(names: record only those entries and print them, without writing anything.)

For every entry of MODELS below it executes the corpus file
tests/data/models/<file> (published architecture source, or a network written for the
corpus from its paper; see each file's header) in a fresh namespace, evaluates the
entry's `build` expression in that namespace, calls model.eval(), and runs
torch.zeros(input) through it under torch.no_grad() with a forward hook on every leaf
module. It writes

  tests/data/golden_models_torch.json   per model: output shape, every leaf call in
      execution order (module, type, first positional input shape, output shape),
      every leaf module (type, parameter counts, registration index), parameter
      totals, parameters held outside leaf modules, "static": false for the files the
      static code reader is not expected to read, and torchinfo's summary:
      totals and per-leaf-call MACs ("layers"), ModelStatistics' exact byte counts, and
      every row of summary_list ("summary_list": dotted module name, class, depth, input
      and output size, parameter counts, MACs, recursive/leaf/executed flags); for
      TEXT_MODELS also str(summary) ("text": the default call; "text_all_rows": every
      row and column), for BATCH4_MODELS the same statistics at batch size 4 ("batch4");
  tests/data/models/torch_repr/<name>.txt   the exact text `print(model)` prints,
      for the entries whose `repr` flag is set.

Leaf = a module with no child modules, except that a module whose only children are
`parametrizations` containers (torch.nn.utils.parametrize, e.g. the new
parametrizations.weight_norm) is itself the leaf and its parameters are counted
recursively, and nn.MultiheadAttention (whose out_proj child is never called) is a leaf
with its parameters counted recursively too. The output is deterministic (no randomness
reaches shapes, counts, MACs or bytes); keys keep execution/registration order.
"""

import json
import os
import sys
import warnings

import torch
import torchinfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
MODELS_DIR = os.path.join(DATA, "models")
OUT_JSON = os.path.join(DATA, "golden_models_torch.json")

# Trailing options of a MODELS entry: LIVE_ONLY marks files the static code reader is not
# expected to read (recorded as "static": false); they are planned from the live module only.
LIVE_ONLY = {"static": False}

# (name, corpus file under tests/data/models, build expression, input shape with batch, write repr[, options])
MODELS = [
    ("alexnet", "torch/alexnet.py", "AlexNet()", [1, 3, 224, 224], True),
    ("vgg16", "torch/vgg.py", 'VGG(make_layers(cfgs["D"], batch_norm=False))', [1, 3, 224, 224], True),
    ("squeezenet1_0", "torch/squeezenet.py", 'SqueezeNet("1_0")', [1, 3, 224, 224], True),
    ("mobilenet_v2", "torch/mobilenetv2.py", "MobileNetV2()", [1, 3, 224, 224], True),
    ("resnet50", "torch/resnet.py", "ResNet(Bottleneck, [3, 4, 6, 3])", [1, 3, 224, 224], True),
    ("resnet18", "torch/resnet.py", "ResNet(BasicBlock, [2, 2, 2, 2])", [1, 3, 224, 224], True),
    (
        "shufflenet_v2_x1_0",
        "torch/shufflenetv2.py",
        "ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024])",
        [1, 3, 224, 224],
        True,
    ),
    ("densenet121", "torch/densenet.py", "DenseNet(32, (6, 12, 24, 16), 64)", [1, 3, 224, 224], True),
    (
        "r3d_18",
        "torch/video_resnet.py",
        "VideoResNet(BasicBlock, [Conv3DSimple] * 4, [2, 2, 2, 2], BasicStem)",
        [1, 3, 16, 112, 112],
        True,
    ),
    (
        "convnext_tiny",
        "torch/convnext.py",
        "ConvNeXt([CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3), CNBlockConfig(384, 768, 9), "
        "CNBlockConfig(768, None, 3)], stochastic_depth_prob=0.1)",
        [1, 3, 224, 224],
        True,
    ),
    ("dcgan_generator", "torch/dcgan.py", "Generator(ngpu)", [1, 100, 1, 1], True),
    ("dcgan_discriminator", "torch/dcgan.py", "Discriminator(ngpu)", [1, 3, 64, 64], True),
    ("mnist_net", "torch/mnist_net.py", "Net()", [1, 1, 28, 28], True),
    ("super_resolution", "torch/super_resolution.py", "Net(upscale_factor=3)", [1, 1, 224, 224], True),
    ("fast_neural_style", "torch/fast_neural_style.py", "TransformerNet()", [1, 3, 256, 256], True),
    ("cifar10_tutorial_net", "torch/cifar10_tutorial_net.py", "Net()", [1, 3, 32, 32], True),
    ("speech_command_m5", "torch/speech_command_m5.py", "M5(n_input=1, n_output=35)", [1, 1, 8000], True),
    (
        "cyclegan_resnet_9blocks",
        "torch/cyclegan_networks.py",
        "ResnetGenerator(3, 3, 64, norm_layer=functools.partial(nn.InstanceNorm2d, affine=False, "
        "track_running_stats=False), use_dropout=False, n_blocks=9)",
        [1, 3, 256, 256],
        True,
    ),
    (
        "pix2pix_unet_256",
        "torch/cyclegan_networks.py",
        "UnetGenerator(3, 3, 8, 64, norm_layer=nn.BatchNorm2d, use_dropout=True)",
        [1, 3, 256, 256],
        True,
    ),
    (
        "pix2pix_patchgan",
        "torch/cyclegan_networks.py",
        "NLayerDiscriminator(6, 64, n_layers=3, norm_layer=nn.BatchNorm2d, use_sigmoid=False)",
        [1, 6, 256, 256],
        True,
    ),
    ("unet_original", "torch/unet.py", "UNet()", [1, 1, 572, 572], True),
    (
        "unet_padded_upsample",
        "torch/unet.py",
        "UNet(in_channels=3, n_classes=1, depth=4, wf=5, padding=True, batch_norm=True, up_mode='upsample')",
        [1, 3, 128, 128],
        True,
    ),
    ("tcn_adding_problem", "torch/tcn.py", "TCN(2, 1, [30] * 8, kernel_size=7, dropout=0.0)", [1, 2, 400], True),
    ("c3d", "torch/c3d.py", "C3D()", [1, 3, 16, 112, 112], True),
    ("conv_autoencoder", "torch/conv_autoencoder.py", "ConvAutoencoder()", [1, 1, 28, 28], True),
    ("nn_tutorial_sequential", "torch/nn_tutorial_sequential.py", "model", [1, 784], True),
    # Written for the corpus from the papers (see each file's header); planned live only.
    ("vit_b_16", "torch/vit.py", "VisionTransformer()", [1, 3, 224, 224], True, LIVE_ONLY),
    (
        "vit_tiny_matmul",
        "torch/vit.py",
        "VisionTransformer(image_size=32, patch_size=8, depth=2, dim=64, heads=4, mlp_dim=128, num_classes=10, "
        "attention='matmul')",
        [1, 3, 32, 32],
        True,
        LIVE_ONLY,
    ),
    ("efficientnet_b0", "torch/efficientnet.py", "EfficientNet()", [1, 3, 224, 224], True, LIVE_ONLY),
    ("mobilenet_v3_large", "torch/mobilenetv3.py", "MobileNetV3()", [1, 3, 224, 224], True, LIVE_ONLY),
    ("googlenet", "torch/googlenet.py", "GoogLeNet()", [1, 3, 224, 224], True, LIVE_ONLY),
    ("regnet_x_400mf", "torch/regnet.py", "RegNetX()", [1, 3, 224, 224], True, LIVE_ONLY),
    ("spp_net_zf5", "torch/spp_net.py", "SPPNet()", [1, 3, 224, 224], True, LIVE_ONLY),
    ("spp_net_zf5_wide", "torch/spp_net.py", "SPPNet()", [1, 3, 224, 320], False, LIVE_ONLY),
    ("fpn_segmenter", "torch/fpn_segmenter.py", "FPNSegmenter()", [1, 3, 100, 150], True, LIVE_ONLY),
]

# Published parameter counts (torchvision's weight metadata), asserted below.
EXPECTED_TOTAL_PARAMS = {
    "resnet50": 25557032,
    "resnet18": 11689512,
    "alexnet": 61100840,
    "vgg16": 138357544,
    "squeezenet1_0": 1248424,
    "mobilenet_v2": 3504872,
    "shufflenet_v2_x1_0": 2278604,
    "densenet121": 7978856,
    "r3d_18": 33371472,
    "convnext_tiny": 28589128,
    "vit_b_16": 86567656,
    "efficientnet_b0": 5288548,
    "mobilenet_v3_large": 5483032,
    "googlenet": 6624904,  # without the auxiliary classifiers
    "regnet_x_400mf": 5495976,
}


# torchinfo.summary arguments for the recorded statistics: every row at any nesting depth
# (depth only changes what str() shows, not summary_list) and the columns the table can show.
SUMMARY_DEPTH = 100
SUMMARY_COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds", "trainable")
# Models whose str(summary) is recorded, and models also summarized at batch size 4.
TEXT_MODELS = {"resnet18", "mobilenet_v2"}
BATCH4_MODELS = {"resnet18", "mobilenet_v2", "unet_original"}


def qualified_name(layer_info):
    """Dotted module path of a torchinfo row ("layer1.0.conv1"), built from its parent chain; the root is ""."""
    parts = []
    node = layer_info
    while node.parent_info is not None:
        parts.append(node.var_name)
        node = node.parent_info
    return ".".join(reversed(parts))


def plain_size(size):
    """A torchinfo size (list of ints, or nested lists for tuple outputs) as plain JSON ints."""
    if isinstance(size, (list, tuple)):
        return [plain_size(d) for d in size]
    return int(size)


def summary_statistics(s):
    """torchinfo's ModelStatistics as exact integers, and every row of its summary_list in order."""
    rows = []
    for li in s.summary_list:
        rows.append(
            {
                "name": qualified_name(li),
                "class_name": li.class_name,
                "depth": int(li.depth),
                "input_size": plain_size(li.input_size),
                "output_size": plain_size(li.output_size),
                "num_params": int(li.num_params),
                "trainable_params": int(li.trainable_params),
                # what the "Param #" column shows for a row that is neither a leaf nor recursive
                "leftover_params": int(li.leftover_params()),
                "macs": int(li.macs),
                "is_recursive": bool(li.is_recursive),
                "is_leaf": bool(li.is_leaf_layer),
                "executed": bool(li.executed),
            }
        )
    return {
        "total_params": int(s.total_params),
        "trainable_params": int(s.trainable_params),
        "non_trainable_params": int(s.total_params - s.trainable_params),
        "total_mult_adds": int(s.total_mult_adds),
        "input_bytes": int(s.total_input),
        "forward_backward_pass_bytes": int(s.total_output_bytes),
        "params_bytes": int(s.total_param_bytes),
        "estimated_total_bytes": int(s.total_input + s.total_output_bytes + s.total_param_bytes),
        "summary_list": rows,
    }


def load_namespace(rel):
    path = os.path.join(MODELS_DIR, rel)
    with open(path) as f:
        src = f.read()
    stem = os.path.splitext(os.path.basename(rel))[0]
    # __name__ is needed: torchvision's _log_api_usage_once reads obj.__module__ and
    # torch.jit._overload_method needs a module name for the classes defined here.
    ns = {"__name__": "corpus_" + stem, "__file__": path}
    exec(compile(src, path, "exec"), ns)
    return ns


def is_parametrization_container(m):
    return type(m).__name__ == "ParametrizationList"


def leaf_modules(model):
    """(qualified name, module) of every leaf, in named_modules() order."""
    leaves = []
    inside = []  # prefixes of parametrized leaves, whose subtrees are not leaves themselves
    for name, m in model.named_modules():
        if any(name.startswith(p + ".") for p in inside):
            continue
        children = list(m.named_children())
        if not children:
            leaves.append((name, m))
        elif all(cn == "parametrizations" and is_parametrization_container(c) for cn, c in children):
            leaves.append((name, m))
            inside.append(name)
        elif isinstance(m, torch.nn.MultiheadAttention):
            # its forward reads out_proj's weight directly and never calls out_proj, so the
            # attention itself is the call to record
            leaves.append((name, m))
            inside.append(name)
    return leaves


def first_tensor(obj):
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (tuple, list)):
        for o in obj:
            t = first_tensor(o)
            if t is not None:
                return t
    if isinstance(obj, dict):
        for o in obj.values():
            t = first_tensor(o)
            if t is not None:
                return t
    return None


def shape_of(obj):
    t = first_tensor(obj)
    return None if t is None else list(t.shape)


def record(name, rel, build, input_shape, want_repr, options):
    ns = load_namespace(rel)
    torch.manual_seed(0)
    model = eval(build, ns)
    model.eval()

    leaves = leaf_modules(model)
    leaf_names = {id(m): n for n, m in leaves}
    modules = {}
    for idx, (n, m) in enumerate(leaves):
        modules[n] = {
            "type": type(m).__name__,
            "params": sum(p.numel() for p in m.parameters()),
            "trainable": sum(p.numel() for p in m.parameters() if p.requires_grad),
            "registration_index": idx,
        }

    calls = []
    handles = []
    for n, m in leaves:

        def hook(mod, args, out, n=n):
            inp = None
            for a in args:
                if isinstance(a, torch.Tensor):
                    inp = list(a.shape)
                    break
            calls.append({"module": n, "type": type(mod).__name__, "input": inp, "output": shape_of(out)})

        handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        out = model(torch.zeros(input_shape))
    for h in handles:
        h.remove()

    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    leaf_param_ids = set()
    for _, m in leaves:
        for p in m.parameters():
            leaf_param_ids.add(id(p))
    outside = {pn: p.numel() for pn, p in model.named_parameters() if id(p) not in leaf_param_ids}
    leaf_sum = sum(v["params"] for v in modules.values())
    # shared leaves are listed once by named_modules(), so the sums are comparable
    assert leaf_sum + sum(outside.values()) == total, (name, leaf_sum, outside, total)
    if name in EXPECTED_TOTAL_PARAMS:
        assert total == EXPECTED_TOTAL_PARAMS[name], (name, total, EXPECTED_TOTAL_PARAMS[name])

    ti = None
    ti_error = None
    try:
        s = torchinfo.summary(
            model, input_size=input_shape, verbose=0, device="cpu", depth=SUMMARY_DEPTH, col_names=SUMMARY_COLUMNS
        )
        layers = []
        for li in s.summary_list:
            qn = leaf_names.get(id(li.module))
            if qn is None:
                continue
            layers.append({"module": qn, "macs": int(li.macs)})
        ti = {
            "total_params": int(s.total_params),
            "trainable_params": int(s.trainable_params),
            "total_mult_adds": int(s.total_mult_adds),
            "layers": layers,
        }
        ti.update(summary_statistics(s))
        if name in TEXT_MODELS:
            # what a user sees: the default call, then every row and the MACs column
            ti["text"] = str(torchinfo.summary(model, input_size=input_shape, verbose=0, device="cpu"))
            ti["text_all_rows"] = str(s)
        if name in BATCH4_MODELS:
            batched = [4, *input_shape[1:]]
            s4 = torchinfo.summary(
                model, input_size=batched, verbose=0, device="cpu", depth=SUMMARY_DEPTH, col_names=SUMMARY_COLUMNS
            )
            ti["batch4"] = {"input": batched, **summary_statistics(s4)}
    except Exception as e:  # recorded as null; reported by the caller
        ti_error = f"{type(e).__name__}: {e}"

    repr_file = None
    if want_repr:
        repr_file = f"torch_repr/{name}.txt"
        os.makedirs(os.path.join(MODELS_DIR, "torch_repr"), exist_ok=True)
        with open(os.path.join(MODELS_DIR, repr_file), "w") as f:
            print(model, file=f)

    entry = {
        "name": name,
        "file": rel,
        "build": build,
        "input": input_shape,
        "output": shape_of(out),
        "repr_file": repr_file,
        **options,
        "calls": calls,
        "modules": modules,
        "total_params": total,
        "trainable_params": trainable,
    }
    if outside:
        entry["params_outside_leaves"] = outside
    entry["torchinfo"] = ti
    if ti_error:
        entry["torchinfo_error"] = ti_error
    return entry


def main():
    warnings.simplefilter("ignore")  # deprecation/implicit-dim warnings of the published code
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    only = set(sys.argv[1:])
    entries = []
    for name, rel, build, inp, want_repr, *options in MODELS:
        if only and name not in only:
            continue
        e = record(name, rel, build, inp, want_repr, options[0] if options else {})
        print(
            f"{name:26s} out={e['output']} params={e['total_params']:>11,d} leaves={len(e['modules']):4d} "
            f"calls={len(e['calls']):4d} torchinfo={'ok' if e['torchinfo'] else e.get('torchinfo_error')}",
            flush=True,
        )
        entries.append(e)
    doc = {
        "generator": "tools/gen_golden_models_torch.py",
        "torch": torch.__version__,
        "torchinfo": torchinfo.__version__,
        "models": entries,
    }
    if only:
        print("subset run: not writing", OUT_JSON)
        return
    with open(OUT_JSON, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", OUT_JSON, os.path.getsize(OUT_JSON), "bytes")


if __name__ == "__main__":
    main()
