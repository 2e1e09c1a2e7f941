using System.Collections.Frozen;

namespace Rampart.Scanning.Analyzers.TensorFlow;

/// <summary>What a TensorFlow op can do outside the tensors it computes on.</summary>
internal enum TfOpClass
{
    /// <summary>Calls a Python function registered in the loading process (tf.py_function, tf.numpy_function).</summary>
    Python,

    /// <summary>Writes files.</summary>
    FileWrite,

    /// <summary>Reads files or lists folders.</summary>
    FileRead,

    /// <summary>Talks to other hosts.</summary>
    Network,

    /// <summary>Part of ordinary saving and loading (checkpoints, vocabulary tables): reported only for literal paths outside the model.</summary>
    Checkpoint,

    /// <summary>Writes debug output to files or remote URLs depending on attributes (debug_urls, output_stream, dump_root).</summary>
    Debug,
}

/// <summary>An op Rampart knows, its class, which inputs are paths, and which string attributes are paths or URLs.</summary>
internal sealed record TfOpInfo(TfOpClass Class, int[] PathInputs, string[] PathAttrs);

/// <summary>
/// TensorFlow ops (names as in the op registry, also reachable as tf.raw_ops) that reach beyond tensors: Python
/// callbacks, file system, network. The list is documented on docs/formats/savedmodel.md.
/// </summary>
internal static class TfOpCatalog
{
    private static readonly int[] First = [0];
    private static readonly int[] Second = [1];
    private static readonly int[] None = [];

    public static readonly FrozenDictionary<string, TfOpInfo> Ops = Build();

    private static FrozenDictionary<string, TfOpInfo> Build()
    {
        var ops = new Dictionary<string, TfOpInfo>(StringComparer.Ordinal);
        void Add(TfOpClass c, int[] inputs, string[] attrs, params string[] names)
        {
            foreach (var n in names)
            {
                ops[n] = new TfOpInfo(c, inputs, attrs);
            }
        }

        Add(TfOpClass.Python, None, [], "PyFunc", "PyFuncStateless", "EagerPyFunc");

        Add(TfOpClass.FileWrite, First, [], "WriteFile");
        Add(TfOpClass.FileWrite, Second, [], "DatasetToTFRecord", "ExperimentalDatasetToTFRecord", "SaveDataset", "SaveDatasetV2",
            "SnapshotDataset", "SnapshotDatasetV2", "CreateSummaryFileWriter", "CreateSummaryDbWriter");

        Add(TfOpClass.FileRead, First, [], "ReadFile", "MatchingFiles", "TFRecordDataset", "TFRecordDatasetV2", "TextLineDataset",
            "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2", "LMDBDataset", "ExperimentalLMDBDataset", "CSVDataset",
            "CSVDatasetV2", "ExperimentalCSVDataset", "LoadDataset", "SnapshotDatasetReader");
        Add(TfOpClass.FileRead, Second, [], "SqlDataset", "ExperimentalSqlDataset");
        Add(TfOpClass.FileRead, None, ["memory_region_name"], "ImmutableConst");
        Add(TfOpClass.FileRead, None, [], "FixedLengthRecordReader", "FixedLengthRecordReaderV2", "TFRecordReader", "TFRecordReaderV2",
            "TextLineReader", "TextLineReaderV2", "WholeFileReader", "WholeFileReaderV2", "LMDBReader");

        Add(TfOpClass.Network, First, [], "RpcClient", "RpcServer");
        Add(TfOpClass.Network, None, [], "RpcCall", "RpcCheckStatus", "RpcGetValue", "RpcServerStart", "RpcServerRegister",
            "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3", "DataServiceDatasetV4", "RegisterDataset", "RegisterDatasetV2",
            "DistributedSave", "GcsConfigureCredentials", "GcsConfigureBlockCache", "BigQueryReader");

        Add(TfOpClass.Checkpoint, First, [], "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice", "LoadAndRemapMatrix");
        Add(TfOpClass.Checkpoint, [0, 1], [], "MergeV2Checkpoints", "GenerateVocabRemapping");
        Add(TfOpClass.Checkpoint, Second, [], "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "CacheDataset", "CacheDatasetV2");

        Add(TfOpClass.Debug, None, ["debug_urls"], "DebugIdentity", "DebugIdentityV3", "DebugNanCount", "DebugNumericSummary");
        Add(TfOpClass.Debug, None, ["dump_root"], "DebugIdentityV2");
        Add(TfOpClass.Debug, None, ["output_stream"], "PrintV2");
        return ops.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
