"""A tiny piper-format voice for tests, generated with `onnx`: same inputs and outputs as piper.

Inputs: input int64[1, N], input_lengths int64[1], scales float32[3]. Output: output float32[1, 1, T],
256 samples per phoneme id: a tone whose pitch follows the id, scaled by the length scale. It is
not speech, but it runs the real path: espeak-ng phonemes → id map → onnxruntime → samples.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

SAMPLES_PER_ID = 256
SAMPLE_RATE = 22050
CORPUS = (
    "Hội nghị Ban Chấp hành Đảng bộ tỉnh đánh giá kết quả năm hai nghìn không trăm hai mươi sáu. "
    "Chi bộ thôn một họp định kỳ, đảng viên phát biểu sôi nổi về nhiệm vụ phát triển kinh tế xã hội, "
    "quốc phòng an ninh, xây dựng đảng và hệ thống chính trị; trên thế giới, đối ngoại, trong nước, trong tỉnh."
)


def id_map() -> dict[str, list[int]]:
    ipa = subprocess.run(
        ["espeak-ng", "-q", "--ipa", "-v", "vi", "-b", "1"],
        input=CORPUS.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    chars = sorted(set(ipa) - {"\n"} | set(" abcdefghijklmnopqrstuvwxyz.,;:!?"))
    mapping = {"_": [0], "^": [1], "$": [2]}
    for i, ch in enumerate(chars, start=3):
        mapping.setdefault(ch, [i])
    return mapping


def build(directory: Path, name: str = "vi_VN-test-tiny") -> Path:
    import onnx
    from onnx import TensorProto, helper

    ramp = np.arange(SAMPLES_PER_ID, dtype=np.float32).reshape(1, 1, SAMPLES_PER_ID)
    nodes = [
        helper.make_node("Cast", ["input"], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["x", "axis2"], ["xu"]),
        helper.make_node("Mul", ["xu", "k_pitch"], ["xp"]),
        helper.make_node("Add", ["xp", "k_base"], ["freq"]),
        helper.make_node("Mul", ["freq", "ramp"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Gather", ["scales", "idx1"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["wave", "k_amp"], ["wave_amp"]),
        helper.make_node("Mul", ["wave_amp", "length_scale"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "out_shape"], ["output"]),
    ]
    inits = [
        helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
        helper.make_tensor("k_pitch", TensorProto.FLOAT, [], [0.004]),
        helper.make_tensor("k_base", TensorProto.FLOAT, [], [0.06]),
        helper.make_tensor("k_amp", TensorProto.FLOAT, [], [0.4]),
        helper.make_tensor("idx1", TensorProto.INT64, [], [1]),
        helper.make_tensor("out_shape", TensorProto.INT64, [3], [1, 1, -1]),
        onnx.numpy_helper.from_array(ramp, "ramp"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_piper",
        [
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "time"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="chibo-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.onnx"
    onnx.save(model, str(path))
    config = {
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "x_low"},
        "espeak": {"voice": "vi"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": id_map(),
        "num_speakers": 1,
        "language": {"code": "vi_VN"},
    }
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
