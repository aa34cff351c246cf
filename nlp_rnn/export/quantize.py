"""Dynamic int8 quantization of an exported graph (onnxruntime): weights of the matrix products
and recurrent layers stored as int8, activations quantized on the fly. Embedding tables stay
float: they are lookups, not products, and hold most of the vocabulary's information."""

import tempfile
from pathlib import Path

# the nodes that do the arithmetic; Gather (embedding lookups) is left in float
QUANTIZED_OPS = ["MatMul", "Gemm", "LSTM", "GRU", "Attention"]


def quantize_graph(model_bytes: bytes) -> bytes:
    """ONNX bytes → dynamically int8-quantized ONNX bytes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "model.onnx", Path(folder) / "model.int8.onnx"
        source.write_bytes(model_bytes)
        quantize_dynamic(onnx.load(str(source)), target, op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)
        return target.read_bytes()
