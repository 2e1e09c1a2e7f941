using System.Text;
using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.PythonSource;

/// <summary>
/// Precision of the code rules on realistic ML code (issue 18): values followed along every assignment, allow-list
/// checks and argparse choices=, repository files, messages that name the real argument, FastAPI dependencies,
/// inference handlers, the torch.hub and all-interfaces rules, and placeholders that are not secrets. Each class has
/// cases that must be reported and look-alikes that must stay quiet.
/// </summary>
public sealed class PrecisionTests
{
    private static async Task<IReadOnlyList<Finding>> Scan(string source, string rule, string name = "app.py")
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source.ReplaceLineEndings("\n")), name);
        return [.. report.Findings.Where(f => f.RuleId == rule)];
    }

    // ---- eval/exec and shell: follow the value along every path ----------------------------------------------------

    [Theory]
    [InlineData("""
        import os
        MODE = "fast"

        def build(mode):
            assert mode in ("fast", "slow"), mode
            return eval(f"make_{mode}()")
        """)]
    [InlineData("""
        ALLOWED = {"relu": 1, "gelu": 2}

        def activation(name):
            if name in ALLOWED:
                return eval("torch.nn." + name)
            raise ValueError(name)
        """)]
    [InlineData("""
        import sys
        CHOICES = ["resnet18", "resnet50"]

        def model_for(arch):
            if arch not in CHOICES:
                raise SystemExit(f"unknown {arch}")
            return eval(f"models.{arch}()")
        """)]
    [InlineData("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--optimizer", choices=["Adam", "SGD", "AdamW"], default="Adam")
        args = parser.parse_args()
        opt = eval("torch.optim." + args.optimizer)
        """)]
    [InlineData("""
        for name in ("train", "valid", "test"):
            exec(f"{name}_loader = make_loader('{name}')")
        """)]
    [InlineData("""
        version = {}
        with open("src/mypkg/version.py") as fp:
            exec(fp.read(), version)
        """)]
    [InlineData("""
        exec(open("tools/constants.py").read())
        code = compile(open("scripts/setup_env.py").read(), "setup_env.py", "exec")
        """)]
    [InlineData("""
        def loss_fn(kind):
            expr = "x.mean()"
            if kind == "sum":
                expr = "x.sum()"
            return eval(expr)
        """)]
    public async Task EvalOfConstantsAllowListsOrRepositoryFiles_IsQuiet(string source) =>
        (await Scan(source, "RAMP-PY-006")).Should().BeEmpty();

    [Theory]
    [InlineData("""
        import sys

        def run(expr=None):
            code = "1 + 1"
            if len(sys.argv) > 1:
                code = sys.argv[1]
            return eval(code)
        """, "external input")]
    [InlineData("""
        def run(request):
            code = request.args["code"]
            code = code.strip()
            return eval(code)
        """, "code")]
    [InlineData("""
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--optimizer", default="Adam")
        args = parser.parse_args()
        opt = eval("torch.optim." + args.optimizer)
        """, "a string built at run time")]
    [InlineData("""
        ALLOWED = ["relu", "gelu"]

        def activation(name):
            if name in ALLOWED:
                pass
            return eval("torch.nn." + name)
        """, "a string built at run time")]
    [InlineData("""
        import os
        exec(open(os.path.expanduser("~/.config/tool/init.py")).read())
        """, "exec")]
    public async Task EvalOfInputOrOfAValueNotChecked_IsReported(string source, string inMessage) =>
        (await Scan(source, "RAMP-PY-006")).Should().ContainSingle().Which.Message.Should().Contain(inMessage);

    [Fact]
    public async Task EvalWhoseLastAssignmentIsConstant_ButAnEarlierOneIsInput_IsReported()
    {
        var source = """
            import sys
            expr = sys.argv[1]
            print(expr)
            expr = "0"
            result = eval(expr)
            """;
        (await Scan(source, "RAMP-PY-006")).Should().ContainSingle().Which.Message.Should().Contain("sys.argv");
    }

    [Theory]
    [InlineData("""
        import subprocess
        FORMATS = ("wav", "flac")

        def convert(fmt):
            if fmt not in FORMATS:
                return None
            subprocess.run(f"ffmpeg -i in.mp3 out.{fmt}", shell=True, check=True)
        """)]
    [InlineData("""
        import os, argparse
        p = argparse.ArgumentParser()
        p.add_argument("--device", choices=["cpu", "cuda"])
        a = p.parse_args()
        os.system("nvidia-smi" if a.device == "cuda" else "lscpu")
        os.system(f"echo running on {a.device}")
        """)]
    public async Task ShellWithAllowListedValues_IsQuiet(string source) =>
        (await Scan(source, "RAMP-PY-007")).Should().BeEmpty();

    // ---- messages name the real argument ----------------------------------------------------------------------------

    [Theory]
    [InlineData("import subprocess\ndef go(cmd):\n    subprocess.run(cmd, shell=True)\n", "RAMP-PY-007", "the function parameter 'cmd'")]
    [InlineData("import subprocess\ndef go(host):\n    subprocess.check_output('ping -c 1 ' + host, shell=True)\n", "RAMP-PY-007", "a string built at run time")]
    [InlineData("import numpy as np\ndef read(path):\n    return np.load(path, allow_pickle=True)\n", "RAMP-PY-002", "the function parameter 'path'")]
    [InlineData("import torch\ndef read(ckpt):\n    return torch.load(ckpt, weights_only=False)\n", "RAMP-PY-001", "the function parameter 'ckpt'")]
    public async Task Messages_NameTheArgumentNotTheFlag(string source, string rule, string expected)
    {
        var finding = (await Scan(source, rule)).Should().ContainSingle().Subject;
        finding.Message.Should().Contain(expected).And.NotContain("the constant True").And.NotContain("the constant False");
    }

    // ---- pipeline(model=...) ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData("from transformers import pipeline\nclf = pipeline('sentiment-analysis', model='./checkpoints/sst2')\n")]
    [InlineData("from transformers import pipeline\nasr = pipeline(task='asr', model='/models/whisper-small')\n")]
    [InlineData("from transformers import pipeline, AutoModel\nm = AutoModel.from_pretrained('./local/bert')\np = pipeline('fill-mask', model=m)\n")]
    [InlineData("from transformers import pipeline\ngen = pipeline('text-generation', 'gpt2', revision='0123456789abcdef0123456789abcdef01234567')\n")]
    public async Task PipelineOfLocalPathOrLoadedModel_IsNotAHubDownload(string source) =>
        (await Scan(source, "RAMP-PY-004")).Should().BeEmpty();

    [Theory]
    [InlineData("from transformers import pipeline\nclf = pipeline('sentiment-analysis')\n")]
    [InlineData("from transformers import pipeline\nclf = pipeline('sentiment-analysis', model='distilbert/distilbert-base-uncased-finetuned-sst-2-english')\n")]
    [InlineData("from transformers import pipeline\ndef make(name):\n    return pipeline('text-generation', model=name)\n")]
    public async Task PipelineOfHubModel_IsReported(string source) =>
        (await Scan(source, "RAMP-PY-004")).Should().ContainSingle();

    // ---- FastAPI dependencies and inference handlers -----------------------------------------------------------------

    [Theory]
    [InlineData("""
        from fastapi import FastAPI, Depends
        from .security import check_key
        app = FastAPI()

        @app.post("/v1/predict", dependencies=[Depends(check_key)])
        async def predict(body: dict):
            return {"y": model.predict(body["x"])}
        """)]
    [InlineData("""
        from fastapi import APIRouter, Depends, Security
        from .limits import rate_limiter
        router = APIRouter(dependencies=[Depends(rate_limiter)])

        @router.post("/generate")
        async def generate(body: dict):
            return llm.generate(body["prompt"])
        """)]
    [InlineData("""
        from fastapi import FastAPI, Depends
        from .deps import verify
        GUARDS = [Depends(verify)]
        app = FastAPI(dependencies=GUARDS)

        @app.post("/embed")
        async def embed(body: dict):
            return encoder.embed(body["text"])
        """)]
    [InlineData("""
        from fastapi import FastAPI, APIRouter, Depends
        from .deps import verify
        app = FastAPI()
        router = APIRouter()

        @router.post("/classify")
        async def classify(body: dict):
            return clf.classify(body["text"])

        app.include_router(router, prefix="/api", dependencies=[Depends(verify)])
        """)]
    public async Task FastApiDependencies_AreAuthentication(string source) =>
        (await Scan(source, "RAMP-PY-009")).Should().BeEmpty();

    [Theory]
    [InlineData("""
        from fastapi import FastAPI, Request
        from fastapi.responses import StreamingResponse
        from .worker import ModelWorker
        app = FastAPI()
        worker = ModelWorker()

        @app.post("/worker_generate_stream")
        async def api_generate_stream(request: Request):
            params = await request.json()
            generator = worker.generate_stream_gate(params)
            return StreamingResponse(generator)
        """, "worker_generate_stream")]
    [InlineData("""
        from flask import Flask, request
        app = Flask(__name__)

        @app.route("/stream", methods=["POST"])
        def stream():
            return engine.stream_generate(request.json["prompt"])
        """, "/stream")]
    [InlineData("""
        from fastapi import FastAPI
        app = FastAPI()

        @app.post("/v1/embeddings")
        async def create_embeddings(body: dict):
            return worker.get_embeddings(body)
        """, "embeddings")]
    [InlineData("""
        from fastapi import FastAPI
        app = FastAPI()

        @app.post("/detect")
        async def detect(body: dict):
            return runner.run_inference(body["image"])
        """, "/detect")]
    public async Task InferenceHandlersBeyondTheMethodList_AreModelEndpoints(string source, string route) =>
        (await Scan(source, "RAMP-PY-009")).Should().ContainSingle().Which.Message.Should().Contain(route);

    [Fact]
    public async Task RouteWithoutInference_StaysQuiet()
    {
        var source = """
            from fastapi import FastAPI
            app = FastAPI()

            @app.get("/health")
            async def health():
                return {"ok": True, "generated_at": clock.now()}
            """;
        (await Scan(source, "RAMP-PY-009")).Should().BeEmpty();
    }

    // ---- torch.hub.load ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("import torch\nm = torch.hub.load('ultralytics/yolov5', 'yolov5s')\n", "branch")]
    [InlineData("import torch\nm = torch.hub.load('ultralytics/yolov5:master', 'yolov5s', force_reload=True)\n", "force_reload=True")]
    [InlineData("import torch\nm = torch.hub.load('facebookresearch/dinov2:v1.0', 'dinov2_vits14', trust_repo=True)\n", "trust_repo=True")]
    [InlineData("import torch\nm = torch.hub.load(repo_or_dir='snakers4/silero-vad', model='silero_vad', skip_validation=True)\n", "skip_validation=True")]
    [InlineData("from torch import hub\nentries = hub.list('pytorch/vision')\n", "branch")]
    public async Task TorchHubLoad_Reported(string source, string inMessage) =>
        (await Scan(source, "RAMP-PY-012")).Should().ContainSingle().Which.Message.Should().Contain(inMessage).And.MatchRegex("the constant '[a-z0-9-]+/[a-z0-9-]+");

    [Theory]
    [InlineData("import torch\nm = torch.hub.load('pytorch/vision:v0.16.0', 'resnet18')\n")]
    [InlineData("import torch\nm = torch.hub.load('org/repo:0123456789abcdef0123456789abcdef01234567', 'net')\n")]
    [InlineData("import torch\nm = torch.hub.load('./third_party/yolov5', 'custom', path='best.pt', source='local')\n")]
    [InlineData("import torch\nsd = torch.hub.load_state_dict_from_url('https://example.org/w.pth', check_hash=True)\n")]
    public async Task TorchHubPinnedOrLocal_Quiet(string source) =>
        (await Scan(source, "RAMP-PY-012")).Should().BeEmpty();

    // ---- servers bound to every interface ---------------------------------------------------------------------------

    [Theory]
    [InlineData("import uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\nuvicorn.run(app, host='0.0.0.0', port=8000)\n", "0.0.0.0")]
    [InlineData("import os, uvicorn\nHOST = os.environ.get('HOST', '0.0.0.0')\nuvicorn.run('api:app', host=HOST)\n", "by default")]
    [InlineData("from flask import Flask\napp = Flask(__name__)\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', debug=False)\n", "0.0.0.0")]
    [InlineData("import gradio as gr\nwith gr.Blocks() as demo:\n    pass\ndemo.queue().launch(server_name='0.0.0.0')\n", "0.0.0.0")]
    [InlineData("import argparse, uvicorn\np = argparse.ArgumentParser()\np.add_argument('--host', type=str, default='0.0.0.0')\na = p.parse_args()\nuvicorn.run('srv:app', host=a.host)\n", "by default")]
    public async Task ServerBoundToAllInterfaces_Reported(string source, string inMessage) =>
        (await Scan(source, "RAMP-PY-013")).Should().ContainSingle().Which.Message.Should().Contain(inMessage);

    [Theory]
    [InlineData("import uvicorn\nuvicorn.run('api:app', host='127.0.0.1', port=8000)\n")]
    [InlineData("import argparse, uvicorn\np = argparse.ArgumentParser()\np.add_argument('--host', default='localhost')\na = p.parse_args()\nuvicorn.run('srv:app', host=a.host)\n")]
    [InlineData("import argparse, uvicorn\np = argparse.ArgumentParser()\np.add_argument('--host')\na = p.parse_args()\nuvicorn.run('srv:app', host=a.host)\n")]
    [InlineData("import gradio as gr\ndemo = gr.Interface(fn=f, inputs='text', outputs='text')\ndemo.launch()\n")]
    public async Task ServerOnLoopbackOrChosenByTheUser_Quiet(string source) =>
        (await Scan(source, "RAMP-PY-013")).Should().BeEmpty();

    // ---- author e-mails and placeholders are not secrets -------------------------------------------------------------

    [Theory]
    [InlineData("from setuptools import setup\nsetup(name='pkg', author='Jane Doe', author_email='jane.doe.research@university-lab.edu')\n")]
    [InlineData("__author__ = 'Jane Doe'\n__author_email__ = 'jane.doe.research@university-lab.edu'\n")]
    [InlineData("# Copyright 2024 Jane Doe <jane.doe.research@university-lab.edu>\nAUTHOR_EMAIL = \"jane.doe.research@university-lab.edu\"\n")]
    [InlineData("import openai\nopenai.api_key = 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n")]
    [InlineData("import os\nos.environ['OPENAI_API_KEY'] = 'EMPTY'\nos.environ['HF_TOKEN'] = 'your-hf-token'\n")]
    [InlineData("import os\nos.environ['OPENAI_API_KEY'] = 'none'\nos.environ['WANDB_API_KEY'] = '<your key>'\n")]
    [InlineData("TOKEN = 'hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\napi_key = 'your_api_key_here_please_1234'\n")]
    [InlineData("import wandb\nwandb.login(key='EMPTY')\n")]
    public async Task AuthorEmailsAndPlaceholders_AreNotSecrets(string source)
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), "setup.py");
        report.Findings.Where(f => f.RuleId.StartsWith("RAMP-SECRET", StringComparison.Ordinal) || f.RuleId == "RAMP-PY-011").Should().BeEmpty();
    }

    [Fact]
    public async Task RealLookingKeyBesideAPlaceholder_StillReported()
    {
        var source = $"import os\nos.environ['OPENAI_API_KEY'] = 'EMPTY'\nos.environ['WANDB_API_KEY'] = '{FakeSecrets.WandbKey}'\nauth_token = '{FakeSecrets.Generic}'\n";
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(source), "train.py");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-PY-011").Which.Property("name").Should().Be("WANDB_API_KEY");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-SECRET-008");
    }

    // ---- PEFT adapters: the adapter id is what is downloaded, not the base model object ----------------------------

    [Theory]
    [InlineData("""
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, "tloen/alpaca-lora-7b", torch_dtype=torch.float16)
        """, "'tloen/alpaca-lora-7b'")]
    [InlineData("""
        import peft
        lora_weights = "tloen/alpaca-lora-7b"
        model = peft.PeftModel.from_pretrained(base, model_id=lora_weights)
        """, "lora_weights")]
    public async Task PeftAdapterFromHub_MessageNamesTheAdapter(string source, string adapter)
    {
        var finding = (await Scan(source, "RAMP-PY-004")).Should().ContainSingle().Subject;
        finding.Message.Should().Contain($"the adapter {adapter}").And.NotContain("(model)").And.NotContain("(base)");
    }

    [Theory]
    [InlineData("""
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, "./lora-alpaca")
        """)]
    [InlineData("""
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, "tloen/alpaca-lora-7b", revision="8bb8579e403dc78e37fe81ffbb253c413007323f")
        """)]
    public async Task PeftAdapterLocalOrPinned_IsQuiet(string source) =>
        (await Scan(source, "RAMP-PY-004")).Should().BeEmpty();
}
