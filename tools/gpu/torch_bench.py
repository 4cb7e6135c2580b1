#!/usr/bin/env python3
"""PyTorch oracle for Kiln's CUDA burn-in on a lent GPU: bf16 8192^3 matmul TFLOP/s and a device-to-device copy
GB/s counted read+write (per shared/gpu/README.md). Prints one JSON line; says why when torch is absent."""
import json
import sys
import time

out = {"test": "torch"}
try:
    import torch
except Exception as e:  # torch not installed on this machine
    out["absent"] = "import torch failed: %s" % e
    print(json.dumps(out))
    sys.exit(0)
try:
    dev = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    torch.cuda.set_device(dev)
    out["torch"] = torch.__version__
    out["device"] = torch.cuda.get_device_name(dev)
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    torch.cuda.synchronize()
    best = 0.0
    for _ in range(5):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(20):
            a @ b
        e.record()
        torch.cuda.synchronize()
        best = max(best, 2.0 * n ** 3 * 20 / (s.elapsed_time(e) / 1e3) / 1e12)
    out["bf16MatmulTflops"] = round(best, 1)
    del a, b
    nbytes = 2 << 30
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda").fill_(1)
    dst = torch.empty_like(src)
    dst.copy_(src)
    torch.cuda.synchronize()
    best = 0.0
    for _ in range(10):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        dst.copy_(src)
        e.record()
        torch.cuda.synchronize()
        best = max(best, 2.0 * nbytes / (s.elapsed_time(e) / 1e3) / 1e9)
    out["d2dCopyGBps"] = round(best, 1)
except Exception as e:
    out["error"] = repr(e)
print(json.dumps(out))
