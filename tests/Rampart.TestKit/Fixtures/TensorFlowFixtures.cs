namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the SavedModel analyzers' rules (RAMP-TF-*), written by <see cref="SavedModelBuilder"/>.</summary>
public sealed class TensorFlowFixtures : IFixtureSource
{
    /// <summary>
    /// What tf.saved_model.save writes for a small Keras-free module: a saver placeholder, a call into the traced
    /// save function (SaveV2 and MergeV2Checkpoints on paths built from the placeholder), a vocabulary table read
    /// from a relative asset, and a serving function doing arithmetic.
    /// </summary>
    public static SavedModelBuilder Benign() => new SavedModelBuilder()
        .Node("saver_filename", "Placeholder", [], SavedModelBuilder.StringAttr("shape", ""))
        .Node("StatefulPartitionedCall", "StatefulPartitionedCall", ["saver_filename", "^NoOp"], SavedModelBuilder.StringAttr("config_proto", ""))
        .Const("vocab_path", "assets/vocab.txt")
        .Node("table_init", "InitializeTableFromTextFileV2", ["hash_table", "vocab_path"])
        .Function("__inference__traced_save_45", f => f
            .Const("Const", "_temp/part")
            .Node("StringJoin", "StringJoin", ["file_prefix", "Const:output:0"])
            .Node("ShardedFilename", "ShardedFilename", ["StringJoin:output:0", "num_shards", "shard"])
            .Node("SaveV2", "SaveV2", ["ShardedFilename:filename:0", "tensor_names", "shape_and_slices", "variable"])
            .Node("MergeV2Checkpoints", "MergeV2Checkpoints", ["checkpoint_prefixes", "file_prefix"]))
        .Function("__inference_serve_12", f => f
            .Node("MatMul", "MatMul", ["x", "w"])
            .Node("Relu", "Relu", ["MatMul:product:0"]))
        .Asset("vocab.txt");

    public IEnumerable<Fixture> Fixtures =>
    [
        new("tf/savedmodel-benign", "saved_model.pb", () => Benign().Build()),
        new("tf/pyfunc", "saved_model.pb", () => Benign()
            .Function("__inference_call_77", f => f.Node("PyFunc", "EagerPyFunc", ["x"], SavedModelBuilder.StringAttr("token", "pyfunc_3"))).Build()),
        new("tf/write-file", "saved_model.pb", () => Benign()
            .Function("__inference_call_78", f => f.Const("name", "out.txt").Node("write", "WriteFile", ["name:output:0", "contents"])).Build()),
        new("tf/read-file-computed", "saved_model.pb", () => Benign()
            .Node("user_path", "Placeholder").Node("read", "ReadFile", ["user_path"]).Build()),
        new("tf/read-absolute", "saved_model.pb", () => Benign()
            .Function("__inference_call_79", f => f.Const("p", "/etc/shadow").Node("read", "ReadFile", ["p:output:0"])).Build()),
        new("tf/restore-traversal", "saved_model.pb", () => Benign()
            .Const("evil_prefix", "../../../home/user/.ssh/ckpt").Node("restore", "RestoreV2", ["evil_prefix", "names", "slices"]).Build()),
        new("tf/debug-grpc", "saved_model.pb", () => Benign()
            .Node("dbg", "DebugIdentity", ["x"], SavedModelBuilder.StringListAttr("debug_urls", "grpc://collector.example:6064")).Build()),
        new("tf/frozen-graph", "frozen_inference_graph.pb", () => new SavedModelBuilder()
            .Node("image_tensor", "Placeholder").Const("w", "weights").Node("conv", "Conv2D", ["image_tensor", "w"]).BuildGraphDef()),
        new("tf/frozen-graph-pyfunc", "frozen_inference_graph.pb", () => new SavedModelBuilder()
            .Node("image_tensor", "Placeholder").Node("py", "PyFunc", ["image_tensor"], SavedModelBuilder.StringAttr("token", "pyfunc_0")).BuildGraphDef()),
        new("tf/keras-metadata", "keras_metadata.pb", () => SavedModelBuilder.KerasMetadata(
            ("_tf_keras_network", "{\"name\": \"model\", \"class_name\": \"Functional\", \"config\": {\"layers\": []}}"),
            ("_tf_keras_layer", "{\"name\": \"dense\", \"class_name\": \"Dense\", \"config\": {\"units\": 2}}"))),
        new("tf/fingerprint", "fingerprint.pb", () => SavedModelBuilder.Fingerprint()),
    ];
}
