using Rampart.Scanning.Analyzers.Pickle.Capabilities;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>The capability graph over Python sources written in the test: chains, safety and what stays unknown.</summary>
public sealed class CapabilityGraphTests
{
    private const string Subprocess = """
        import _posixsubprocess

        class Popen:
            def __init__(self, args):
                self._execute_child(args)

            def _execute_child(self, args):
                _posixsubprocess.fork_exec(args)

        def check_output(args):
            return run(args)

        def run(args):
            with Popen(args) as p:
                return p.communicate()
        """;

    private static IReadOnlyDictionary<string, CallableReach> Solve(params (string Name, string Source)[] modules)
    {
        var graph = new CapabilityGraph();
        foreach (var (name, source) in modules)
        {
            var isPackage = name.EndsWith(".__init__", StringComparison.Ordinal);
            graph.AddModule(isPackage ? name[..^9] : name, isPackage, source, CancellationToken.None);
        }

        return graph.Solve(CancellationToken.None);
    }

    [Fact]
    public void Solve_FunctionCallingSubprocessThroughAHelper_HasTheShortestChainToTheNativeSink()
    {
        var reach = Solve(("subprocess", Subprocess), ("tools", """
            import subprocess

            def architecture(path):
                return _syscmd(path)

            def _syscmd(target):
                return subprocess.check_output(["file", target])
            """));

        reach["tools.architecture"].Chains.Should().ContainKey(Capability.ProcessExecution)
            .WhoseValue.Should().Equal("tools.architecture", "tools._syscmd", "subprocess.check_output", "subprocess.run", "subprocess.Popen",
                "subprocess.Popen.__init__", "subprocess.Popen._execute_child", "_posixsubprocess.fork_exec");
        reach["subprocess.Popen"].Chains.Keys.Should().Equal(Capability.ProcessExecution);
    }

    [Theory]
    [InlineData("open(path, 'w')", true)]
    [InlineData("open(path, mode='a')", true)]
    [InlineData("open(path, 'r+b')", true)]
    [InlineData("open(path, mode)", true)]
    [InlineData("io.open(path, 'x')", true)]
    [InlineData("open(path)", false)]
    [InlineData("open(path, 'rb')", false)]
    [InlineData("io.open(path, mode='r')", false)]
    public void Solve_OpenCall_IsAFileWriteOnlyWhenItsModeCanWrite(string call, bool writes)
    {
        var reach = Solve(("saver", $"import io\n\ndef save(path, mode='w'):\n    with {call} as f:\n        return f.read()\n"));

        reach["saver.save"].Chains.ContainsKey(Capability.FileWrite).Should().Be(writes);
        reach["saver.save"].IsSafe.Should().Be(!writes);
    }

    [Theory]
    [InlineData("eval(text)", Capability.DynamicCode)]
    [InlineData("exec(compile(text, 'x', 'exec'))", Capability.DynamicCode)]
    [InlineData("__import__(text)", Capability.DynamicImport)]
    [InlineData("importlib.import_module(text)", Capability.DynamicImport)]
    [InlineData("types.CodeType(*text)", Capability.CodeObject)]
    [InlineData("socket.create_connection((text, 80))", Capability.Network)]
    [InlineData("ctypes.CDLL(text)", Capability.Ctypes)]
    [InlineData("pickle.loads(text)", Capability.Deserialization)]
    [InlineData("os.system(text)", Capability.ProcessExecution)]
    [InlineData("os.remove(text)", Capability.FileWrite)]
    public void Solve_DirectSink_IsItsCapability(string call, string capability)
    {
        var reach = Solve(("gadget", $"import importlib, types, socket, ctypes, pickle, os\n\ndef go(text):\n    return {call}\n"));

        reach["gadget.go"].Chains.Should().ContainKey(capability);
    }

    [Fact]
    public void Solve_PureFunctionsAndClasses_AreSafe()
    {
        var reach = Solve(("shapes", """
            import math
            from collections import namedtuple as _nt

            def hypot(a, b):
                return math.sqrt(_square(a) + _square(b))

            def _square(x):
                return x.real * x.real

            class Point:
                def __init__(self, x, y):
                    self.x = float(x)
                    self.y = hypot(x, y)

                def __reduce__(self):
                    return (Point, (self.x, self.y))

                def scaled(self, k):
                    return Point(self.x * k, [v.conjugate() for v in (self.y,)][0])
            """));

        reach["shapes.hypot"].IsSafe.Should().BeTrue();
        reach["shapes.Point"].IsSafe.Should().BeTrue();
        reach["shapes.Point.scaled"].IsSafe.Should().BeTrue();
    }

    [Theory]
    [InlineData("mystery(x)", "mystery")]
    [InlineData("getattr(x, name)()", "computed attribute name")]
    [InlineData("globals()[name](x)", "walks frames, globals or process state")]
    [InlineData("_handler(x)", "module-level value")]
    [InlineData("vendor.thing(x)", "vendor.thing")]
    public void Solve_CallTheMapCannotResolve_IsUnknownNeverSafe(string call, string reason)
    {
        var reach = Solve(("opaque", $"import vendor\n_handler = make_handler()\n\ndef go(x, name):\n    return {call}\n\ndef outer(x):\n    return go(x, 'a')\n"));

        reach["opaque.go"].IsSafe.Should().BeFalse();
        reach["opaque.go"].Chains.Should().BeEmpty();
        reach["opaque.go"].UnknownChain.Should().NotBeNull().And.Subject!.Last().Should().Contain(reason);
        reach["opaque.outer"].IsSafe.Should().BeFalse("what calls an unknown is unknown too");
    }

    [Fact]
    public void Solve_ConstructingAClass_ReachesInitOfItsBaseThroughSuper_AndSetstate()
    {
        var reach = Solve(("base", """
            class Writer:
                def __init__(self, path):
                    self.f = open(path, 'wb')
            """), ("derived", """
            from base import Writer
            import pickle

            class Logger(Writer):
                def __init__(self, path):
                    super().__init__(path)

            class Restorer:
                def __setstate__(self, state):
                    self.__dict__.update(pickle.loads(state))

            class Quiet(Writer):
                pass
            """));

        // Two chains of four are equally short: through Logger.__init__'s super() call, or through the base class itself.
        var chain = reach["derived.Logger"].Chains.Should().ContainKey(Capability.FileWrite).WhoseValue;
        chain.Should().HaveCount(4).And.StartWith("derived.Logger").And.Contain("base.Writer.__init__");
        chain[^1].Should().StartWith("builtins.open(mode=").And.Contain("wb");
        reach["derived.Logger.__init__"].Chains[Capability.FileWrite].Should().Equal("derived.Logger.__init__", "base.Writer.__init__", chain[^1]);
        reach["derived.Restorer"].Chains.Should().ContainKey(Capability.Deserialization);
        reach["derived.Quiet"].Chains.Should().ContainKey(Capability.FileWrite, "an inherited __init__ runs too");
    }

    [Fact]
    public void Solve_RelativeImportsAndReExports_AreFollowed()
    {
        var reach = Solve(
            ("pkg.__init__", "from .impl import launch as start\nfrom .pure import *\n"),
            ("pkg.impl", "import os\n\ndef launch(cmd):\n    return os.system(cmd)\n"),
            ("pkg.pure", "def double(x):\n    return x * 2\n"),
            ("app", "import pkg\nfrom pkg import double\n\ndef go(c):\n    return pkg.start(c)\n\ndef twice(c):\n    return double(c)\n"));

        reach["app.go"].Chains.Should().ContainKey(Capability.ProcessExecution)
            .WhoseValue.Should().Equal("app.go", "pkg.impl.launch", "os.system");
        reach["app.twice"].IsSafe.Should().BeTrue();
    }

    [Fact]
    public void Solve_ChainsAndCyclesOfStarImports_ResolveEachNameWhereItIsBound()
    {
        // numpy's shape: a package that star-imports subpackages that star-import modules, a cycle back to the top,
        // and a star import of a native module the map cannot read. Each star import is resolved once, to the names
        // its module binds.
        var reach = Solve(
            ("lib.__init__", "from .core import *\nfrom .extra import *\nfrom ._native import *\n"),
            ("lib.core.__init__", "from .numeric import *\nfrom .fromnumeric import *\n"),
            ("lib.core.numeric", "from lib import *\nfrom ._multiarray import *\nimport os\n\ndef run(c):\n    return os.system(c)\n"),
            ("lib.core.fromnumeric", "def clip(a):\n    return a\n"),
            ("lib.extra", "from .core import *\n\ndef helper(x):\n    return run(x)\n"),
            ("app", "import lib\n\ndef go(c):\n    return lib.run(c)\n\ndef safe(a):\n    return lib.clip(a)\n\n"
                + "def missing(a):\n    return lib.nowhere(a)\n\ndef native(a):\n    return lib.zeros(a)\n"));

        reach["app.go"].Chains[Capability.ProcessExecution].Should().Equal("app.go", "lib.core.numeric.run", "os.system");
        reach["lib.extra.helper"].Chains[Capability.ProcessExecution].Should().Equal("lib.extra.helper", "lib.core.numeric.run", "os.system");
        reach["app.safe"].IsSafe.Should().BeTrue("clip is bound by lib.core.fromnumeric, two star imports down");
        reach["app.missing"].IsSafe.Should().BeFalse();
        reach["app.missing"].UnknownChain.Should().NotBeNull().And.Subject.Last().Should().Contain("lib.nowhere");
        reach["app.native"].IsSafe.Should().BeFalse("zeros may come from the native lib._native, which the map cannot read");
    }

    [Fact]
    public void Solve_SourceThatDoesNotParse_IsNeverSafe()
    {
        var reach = Solve(("py2", "def pure(x):\n    return x\n\ndef old(x):\n    print x\n    exec x in {}\n"));

        reach["py2.pure"].IsSafe.Should().BeFalse("calls lost in a broken parse could be anything");
    }

    [Fact]
    public void Merge_SafeOnlyWhenSafeInEveryVersion_CapableWhenCapableInAny()
    {
        var older = Solve(("m", "import os\n\ndef f(x):\n    return os.system(x)\n\ndef g(x):\n    return x\n\ndef h(x):\n    return x\n"));
        var newer = Solve(("m", "def f(x):\n    return x\n\ndef g(x):\n    return x\n\ndef h(x):\n    return unknown_thing(x)\n"));

        var map = CapabilityMap.Merge([("old", older), ("new", newer)]);

        map.Capable.Should().ContainKey("m.f").WhoseValue.From.Should().Be("old");
        map.Safe.Should().Contain("m.g").And.NotContain("m.f").And.NotContain("m.h");
        map.Capable.Should().NotContainKey("m.h");
    }

    [Fact]
    public void Map_WrittenAndReadBack_IsTheSame()
    {
        var map = CapabilityMap.Merge([("v", Solve(("subprocess", Subprocess), ("m", "def g(x):\n    return x\n")))]);
        using var buffer = new MemoryStream();

        map.Write(buffer);
        buffer.Position = 0;
        var read = CapabilityMap.Read(buffer);

        read.Sources.Should().Equal("v");
        read.Safe.Should().BeEquivalentTo(map.Safe);
        read.Capable.Keys.Should().BeEquivalentTo(map.Capable.Keys);
        read.Capable["subprocess.run"].Chain.Should().Equal(map.Capable["subprocess.run"].Chain);
    }
}
