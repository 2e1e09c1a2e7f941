namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the TorchScript code analyzer (RAMP-TS-*): archives in torch.jit.save's layout with code members.</summary>
public sealed class TorchScriptFixtures : IFixtureSource
{
    /// <summary>The forward method torch.jit.save (1.13) writes for a Linear + relu module (captured, shortened).</summary>
    public const string BenignCode =
        "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n  l : __torch__.torch.nn.modules.linear.Linear\n" +
        "  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    l = self.l\n    _0 = torch.add(torch.relu((l).forward(x, )), torch.add(x, 1))\n" +
        "    _1 = ops.prim.NumToTensor(torch.size(x, 0))\n    return _0\n";

    /// <summary>The same module hand-edited to run a harmless shell command (touching a marker file).</summary>
    public const string HostileCode =
        "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n" +
        "  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    _0 = __import__(\"os\").system(\"touch /tmp/rampart-marker\")\n    return x\n";

    /// <summary>A module calling an operator from a custom library and holding a custom class.</summary>
    public const string CustomOpCode =
        "class M(Module):\n  __parameters__ = []\n  packed : __torch__.torch.classes.my_ext.Packed\n" +
        "  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    return ops.my_ext.fused_gelu(x, self.packed)\n";

    public IEnumerable<Fixture> Fixtures =>
    [
        new("ts/benign", "scripted.pt", () => Archive(BenignCode)),
        new("ts/hostile", "tampered.pt", () => Archive(HostileCode)),
        new("ts/custom-op", "custom_op.pt", () => Archive(CustomOpCode)),
    ];

    public static byte[] Archive(string code) => new ZipBuilder()
        .Add("archive/data.pkl", PyTorchFixtures.EmptyDictPickle)
        .Add("archive/code/__torch__.py", code, deflate: true)
        .Add("archive/code/__torch__.py.debug_pkl", PyTorchFixtures.EmptyDictPickle)
        .Add("archive/constants.pkl", PyTorchFixtures.EmptyDictPickle)
        .Add("archive/version", "3\n")
        .Build();
}
