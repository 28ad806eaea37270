"""The official KServe/Triton client (`tritonclient[http]`) against `nasforge serve`: health,
metadata, and inference in JSON and with the binary tensor data extension, each giving the
outputs of `nasforge.load` (<= 1e-5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import load
from tests.helpers import TOKEN, serving

pytestmark = pytest.mark.slow  # a server subprocess and the official client

http = pytest.importorskip("tritonclient.http")


def auth() -> dict[str, str]:
    """A fresh headers dict for each call: the client adds Inference-Header-Content-Length to it."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_the_official_client_gets_the_models_outputs_in_json_and_binary(
    exported: Path, runtime: str, request: pytest.FixtureRequest
) -> None:
    x = np.random.default_rng(0).uniform(0, 16, size=(5, 1, 8, 8)).astype(np.float32)  # digits' raw units
    with torch.no_grad():
        expected = torch.softmax(load(exported)(torch.from_numpy(x)), dim=1).numpy()
    with serving(exported, "--runtime", runtime, "--token", TOKEN) as url:
        client = http.InferenceServerClient(url.removeprefix("http://"), concurrency=1)
        request.addfinalizer(client.close)
        name = exported.name
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready(name, headers=auth())
        assert "binary_tensor_data" in client.get_server_metadata(headers=auth())["extensions"]
        metadata = client.get_model_metadata(name, headers=auth())
        assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 8, 8]}]
        for binary in (False, True):
            given = http.InferInput("input", list(x.shape), "FP32")
            given.set_data_from_numpy(x, binary_data=binary)
            wanted = [http.InferRequestedOutput(n, binary_data=binary) for n in ("probabilities", "labels")]
            result = client.infer(name, [given], outputs=wanted, headers=auth())
            assert np.abs(result.as_numpy("probabilities") - expected).max() <= 1e-5
            labels = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("labels")]
            assert labels == [str(i) for i in expected.argmax(1)]
        everything = client.infer(name, [given], headers=auth())  # no outputs named: all, as binary data
        assert np.abs(everything.as_numpy("probabilities") - expected).max() <= 1e-5
        short = http.InferInput("input", [4, 1, 8, 8], "FP32")
        short.set_data_from_numpy(x[:4], binary_data=True)
        short.set_shape([5, 1, 8, 8])  # the header promises one example more than the data holds
        with pytest.raises(http.InferenceServerException, match="binary_data_size must be 4 x 320"):
            client.infer(name, [short], headers=auth())
