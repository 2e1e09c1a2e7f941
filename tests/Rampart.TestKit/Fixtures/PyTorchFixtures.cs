namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the PyTorch analyzer's rules (RAMP-TORCH-*): zip layouts as torch.save and torch.jit.save write them.</summary>
public sealed class PyTorchFixtures : IFixtureSource
{
    /// <summary>A protocol-2 pickle of an empty dict: an inert stand-in for data.pkl.</summary>
    public static readonly byte[] EmptyDictPickle = [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e];

    /// <summary>The three small pickles that open a legacy (pre-1.6) torch.save file: magic number, protocol 1001, sys_info.</summary>
    public static readonly byte[] LegacyPrefix =
    [
        0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
        0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e,
        0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e,
    ];

    public IEnumerable<Fixture> Fixtures =>
    [
        new("torch/state-dict", "model.pt", () => StateDict("archive")),
        new("torch/torchscript", "scripted.pt", TorchScript),
        new("torch/two-roots", "ambiguous.pt", () => new ZipBuilder()
            .Add("archive/data.pkl", EmptyDictPickle)
            .Add("archive/version", "3\n")
            .Add("shadow/data.pkl", EmptyDictPickle)
            .Add("shadow/version", "3\n")
            .Build()),
        new("torch/legacy", "legacy.pt", () => LegacyPrefix),
    ];

    /// <summary>The layout torch.save (1.13) writes for a state dict with two tensors.</summary>
    public static byte[] StateDict(string root) => new ZipBuilder()
        .Add($"{root}/data.pkl", EmptyDictPickle)
        .Add($"{root}/data/0", new byte[12])
        .Add($"{root}/data/1", new byte[8])
        .Add($"{root}/version", "3\n")
        .Build();

    /// <summary>The layout torch.jit.save (1.13) writes for a scripted module.</summary>
    public static byte[] TorchScript() => new ZipBuilder()
        .Add("archive/data/0", new byte[16])
        .Add("archive/data.pkl", EmptyDictPickle)
        .Add("archive/code/__torch__.py", "class M(Module):\n  def forward(self, x):\n    return x\n", deflate: true)
        .Add("archive/code/__torch__.py.debug_pkl", EmptyDictPickle)
        .Add("archive/constants.pkl", EmptyDictPickle)
        .Add("archive/version", "3\n")
        .Build();
}
