"""Cut the int8 decoder graph where `acoustic.kernels` does the work faster than onnxruntime: the plan that
`staged_decoder.StagedDecoder` runs. Built once per decoder file, into the cache; needs onnx, which a render
does not load.

Two patterns are cut out, both as `net.istftnet` exports them:
- a Snake: z = x * a + b; (z + 1 - cos z) * k;
- an AdaIN's statistics: ReduceMean(x) and ReduceL2(x) over time.

What is left runs as ONNX stages between the kernels, in the order a depth-first walk from the output computes
it (each residual block whole before the next: only one holds its activations), cut where a node reads a
kernel's output. Nodes computed from weights alone (the weights' DequantizeLinear above all) are copied into
every stage that reads them: onnxruntime fuses an int8 convolution only when its weights are constant in its
own graph.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from vocalis.acoustic.staged_decoder import CONSTANTS, PLAN


class NoKernels(ValueError):
    """The graph has none of the patterns to cut out (a decoder this module does not know)."""


@dataclass(frozen=True)
class Kernel:
    name: str  # "snake" or "moments" (`acoustic.kernels`)
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    dequantise: tuple[str, str] | None = None  # (scale, zero point) of reads[0] when it is the uint8 tensor
    quantise: tuple[str, str] | None = None  # of writes[0] when the kernel writes uint8 (a Snake before a conv)

    def constants(self) -> tuple[str, ...]:
        return (*self.reads, *(self.dequantise or ()), *(self.quantise or ()))


def build(int8: Path, out: Path) -> None:
    """Write the staged plan of the decoder at `int8` into the folder `out` (atomically: a folder renamed into
    place). Raises NoKernels if the graph has nothing to cut out."""
    graph = _Graph(onnx.load(str(int8)))
    kernels = graph.cut_kernels()
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    steps = graph.write_steps(graph.schedule(kernels), tmp)
    constants = sorted({t for k in kernels for t in k.constants() if t in graph.constant})
    np.savez(tmp / CONSTANTS, **dict(zip(constants, graph.evaluate(constants), strict=True)))
    (tmp / PLAN).write_text(json.dumps({"output": graph.output, "steps": steps}))
    try:
        tmp.rename(out)
    except OSError:  # another process built it meanwhile (a folder does not replace a full one): keep theirs
        shutil.rmtree(tmp, ignore_errors=True)


class _Graph:
    def __init__(self, model: onnx.ModelProto):
        self.model, g = model, model.graph
        self.inits = {t.name: t for t in g.initializer}
        self.nodes = []
        for node in g.node:  # Constant nodes become initializers, so that each stage carries its own
            if node.op_type == "Constant" and node.attribute[0].name == "value":
                tensor = onnx.TensorProto()
                tensor.CopyFrom(node.attribute[0].t)
                tensor.name = node.output[0]
                self.inits[tensor.name] = tensor
            else:
                self.nodes.append(node)
        self.inputs = [i.name for i in g.input]
        self.output = g.output[0].name
        inferred = onnx.shape_inference.infer_shapes(model).graph
        self.types = {v.name: v.type.tensor_type.elem_type
                      for v in [*inferred.value_info, *inferred.input, *inferred.output]}
        self._index()

    def _index(self) -> None:
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in self.nodes:
            for name in node.input:
                self.consumers[name].append(node)
        self.constant = set(self.inits)  # tensors computed from weights alone, and the nodes computing them
        self.constant_node: dict[str, onnx.NodeProto] = {}
        for node in self.nodes:
            if all(i in self.constant for i in node.input if i):
                self.constant.update(node.output)
                self.constant_node.update(dict.fromkeys(node.output, node))

    def cut_kernels(self) -> list[Kernel]:
        """Find the Snakes and the AdaIN statistics and take their nodes out of the graph."""
        kernels, cut = [], set()
        for found in [*map(self._snake, self.nodes), *map(self._moments, self.nodes)]:
            if found:
                kernels.append(found[0])
                cut.update(id(n) for n in found[1])
        if not kernels:
            raise NoKernels("no Snake or AdaIN statistics found in the decoder graph")
        for node in self.nodes:  # a shape is known before dequantising: no DequantizeLinear pass just for it
            source = self.producer.get(node.input[0]) if node.op_type == "Shape" else None
            if source is not None and source.op_type == "DequantizeLinear":
                node.input[0] = source.input[0]
        self.nodes = [n for n in self.nodes if id(n) not in cut]
        self._index()
        folded: set[int] = set()  # the QuantizeLinear nodes a Snake now does itself
        kernels = [self._quantised(k, folded) for k in kernels]
        self.nodes = [n for n in self.nodes if id(n) not in folded]
        self._index()
        return kernels

    def _quantised(self, kernel: Kernel, folded: set[int]) -> Kernel:
        """The kernel reading a convolution's uint8 output itself, where its input is that output dequantised,
        and a Snake writing the next convolution's uint8 input itself: a quarter of the bytes, and no separate
        DequantizeLinear or QuantizeLinear pass over a float tensor."""
        reads, dequantise, quantise, writes = kernel.reads, None, None, kernel.writes
        source = self.producer.get(reads[0])
        if source is not None and source.op_type == "DequantizeLinear" and self._per_tensor(source):
            reads, dequantise = (source.input[0], *reads[1:]), (source.input[1], source.input[2])
        readers = self.consumers[writes[0]]
        if (kernel.name == "snake" and len(readers) == 1 and readers[0].op_type == "QuantizeLinear"
                and self._per_tensor(readers[0]) and writes[0] != self.output):
            writes, quantise = (readers[0].output[0],), (readers[0].input[1], readers[0].input[2])
            folded.add(id(readers[0]))
        return Kernel(kernel.name, reads, writes, dequantise, quantise)

    def _per_tensor(self, node: onnx.NodeProto) -> bool:
        """A (De)QuantizeLinear of uint8 with one constant scale and zero point."""
        if len(node.input) != 3 or not all(i in self.inits for i in node.input[1:]):
            return False
        scale, zero = (numpy_helper.to_array(self.inits[i]) for i in node.input[1:])
        return scale.size == 1 and zero.size == 1 and zero.dtype == np.uint8

    def _snake(self, cos: onnx.NodeProto) -> tuple[Kernel, list[onnx.NodeProto]] | None:
        """The Snake around `cos` if it is z -> (z + 1 - cos z) * k with z = x * a + b, each node used only there."""
        if cos.op_type != "Cos":
            return None
        z = cos.input[0]
        shift = self.producer.get(z)
        scale = shift and self.producer.get(shift.input[0])
        plus = [n for n in self.consumers[z] if n is not cos]
        if not (shift and scale and shift.op_type == "Add" and scale.op_type == "Mul" and len(plus) == 1):
            return None
        plus = plus[0]
        one = next(i for i in plus.input if i != z)
        if plus.op_type != "Add" or one not in self.inits or numpy_helper.to_array(self.inits[one]).item() != 1.0:
            return None
        minus = self.consumers[plus.output[0]]
        if len(minus) != 1 or minus[0].op_type != "Sub" or list(minus[0].input) != [plus.output[0], cos.output[0]]:
            return None
        times = self.consumers[minus[0].output[0]]
        if len(times) != 1 or times[0].op_type != "Mul" or len(self.consumers[scale.output[0]]) != 1:
            return None
        k = next(i for i in times[0].input if i != minus[0].output[0])
        kernel = Kernel("snake", (scale.input[0], scale.input[1], shift.input[1], k), (times[0].output[0],))
        return kernel, [scale, shift, plus, cos, minus[0], times[0]]

    def _moments(self, mean: onnx.NodeProto) -> tuple[Kernel, list[onnx.NodeProto]] | None:
        """ReduceMean(x) with its ReduceL2(x), both over the last axis, keeping it."""
        if mean.op_type != "ReduceMean" or not _over_time(mean):
            return None
        norm = next((n for n in self.consumers[mean.input[0]] if n.op_type == "ReduceL2" and _over_time(n)), None)
        if norm is None:
            return None
        return Kernel("moments", (mean.input[0],), (mean.output[0], norm.output[0])), [mean, norm]

    def schedule(self, kernels: list[Kernel]) -> list[Kernel | list[onnx.NodeProto]]:
        """The steps in order: a kernel, or the nodes of one stage. A stage ends where a node reads a kernel's
        output not yet computed."""
        by_out = {w: k for k in kernels for w in k.writes}
        steps: list[Kernel | list[onnx.NodeProto]] = [[]]
        done: set[Kernel] = set()
        for node in self._depth_first(by_out):
            if node.output[0] in self.constant:
                continue
            pending = self._pending([by_out[i] for i in node.input if i in by_out], by_out, done)
            if pending:
                steps += [*pending, []]
            steps[-1].append(node)
        return [s for s in steps if s]

    @staticmethod
    def _pending(kernels: list[Kernel], by_out: dict[str, Kernel], done: set[Kernel]) -> list[Kernel]:
        """`kernels` not yet run, each after the kernels whose output it reads; marks them run."""
        order = []
        for kernel in kernels:
            if kernel not in done:
                done.add(kernel)
                order += _Graph._pending([by_out[i] for i in kernel.reads if i in by_out], by_out, done) + [kernel]
        return order

    def _depth_first(self, by_out: dict[str, Kernel]) -> list[onnx.NodeProto]:
        """The nodes in the order a depth-first walk back from the output computes them: each branch (a residual
        block) whole before the next. The quantiser's own order interleaves the parallel blocks."""
        order, known, placed = [], set(), set()
        stack: list[tuple[str, bool]] = [(self.output, False)]  # (tensor, its inputs already pushed)
        while stack:
            name, expanded = stack.pop()
            node = self.producer.get(name)
            if name in known or (node is None and name not in by_out):  # computed, or an input or a weight
                continue
            if expanded:
                known.add(name)
                if node is not None and id(node) not in placed:
                    placed.add(id(node))
                    order.append(node)
                continue
            stack.append((name, True))
            reads = by_out[name].reads if node is None else node.input
            stack.extend((i, False) for i in reversed(reads) if i and i not in known)
        return order

    def write_steps(self, steps: list[Kernel | list[onnx.NodeProto]], folder: Path) -> list[dict]:
        """One ONNX file per stage; returns the plan's steps: what each reads and writes, and which tensors no
        later step reads (to drop after it)."""
        reads = [list(s.reads) if isinstance(s, Kernel) else self._stage_inputs(s) for s in steps]
        last: dict[str, int] = {}
        for j, names in enumerate(reads):
            last.update(dict.fromkeys(names, j))
        last[self.output] = len(steps)
        plan = []
        for j, step in enumerate(steps):
            if isinstance(step, Kernel):
                entry = {"kernel": step.name, "reads": reads[j], "writes": list(step.writes),
                         "dequantise": step.dequantise, "quantise": step.quantise}
                if step.name == "snake":  # it may overwrite x when nothing after reads it
                    entry["in_place"] = last[step.reads[0]] == j and step.reads[0] not in self.inputs
            else:
                made = {o for n in step for o in n.output}
                writes = sorted(o for o in made if last.get(o, -1) > j)
                entry = {"file": f"stage{j}.onnx", "reads": reads[j], "writes": writes}
                nodes = self._constants_for([i for n in step for i in n.input]) + step
                onnx.save(self._model(nodes, reads[j], writes), str(folder / entry["file"]))
            entry["drop"] = sorted(t for t in reads[j] if last[t] == j and t not in self.constant)
            plan.append(entry)
        return plan

    def _stage_inputs(self, nodes: list[onnx.NodeProto]) -> list[str]:
        made = {o for n in nodes for o in n.output}
        return list(dict.fromkeys(i for n in nodes for i in n.input if i and i not in made and i not in self.constant))

    def _constants_for(self, names: list[str]) -> list[onnx.NodeProto]:
        """The constant nodes that compute `names` (transitively), in graph order."""
        wanted, pending = {}, [n for n in names if n in self.constant_node]
        while pending:
            node = self.constant_node[pending.pop()]
            if id(node) not in wanted:
                wanted[id(node)] = node
                pending += [i for i in node.input if i in self.constant_node]
        order = {id(n): j for j, n in enumerate(self.nodes)}
        return sorted(wanted.values(), key=lambda n: order[id(n)])

    def _model(self, nodes: list[onnx.NodeProto], inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
        def info(name: str) -> onnx.ValueInfoProto:
            return helper.make_tensor_value_info(name, self.types.get(name, onnx.TensorProto.FLOAT), None)

        weights = sorted({i for n in nodes for i in n.input if i in self.inits})
        graph = helper.make_graph(nodes, "stage", [info(i) for i in inputs], [info(o) for o in outputs],
                                  [self.inits[w] for w in weights])
        return helper.make_model(graph, opset_imports=self.model.opset_import, ir_version=self.model.ir_version)

    def evaluate(self, names: list[str]) -> list[np.ndarray]:
        """The values of constant tensors (a Snake's k is computed from its alpha)."""
        values = {n: numpy_helper.to_array(self.inits[n]) for n in names if n in self.inits}
        computed = [n for n in names if n not in values]
        if computed:
            model = self._model(self._constants_for(computed), [], computed)
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            values.update(zip(computed, session.run(computed, {}), strict=True))
        return [np.asarray(values[n], np.float32) for n in names]


def _over_time(node: onnx.NodeProto) -> bool:
    attributes = {a.name: a for a in node.attribute}
    return (len(node.input) == 1 and "axes" in attributes and list(attributes["axes"].ints) == [-1]
            and attributes.get("keepdims") is not None and attributes["keepdims"].i == 1)
