using System.CommandLine;
using System.Globalization;
using Rampart.Integrity.Hashing;
using Rampart.Scanning.IO;

namespace Rampart.Cli.Commands;

/// <summary>
/// Options shared by hash, sign and verify, spelt as the reference model_signing CLI spells them (which also accepts
/// underscores: --private_key), so that users switch by changing the program name.
/// </summary>
internal sealed class IntegrityOptions
{
    public Argument<string> ModelPath { get; } = new("MODEL_PATH") { Description = "The model: a folder, or a single file." };

    public Option<string[]> IgnorePaths { get; } = WithUnderscore(new Option<string[]>("--ignore-paths")
    {
        Description = "A path to leave out (repeatable); relative to the current folder or to the model, and inside the model.",
        HelpName = "IGNORE_PATHS",
        Arity = ArgumentArity.ZeroOrMore,
    });

    public Option<bool> IgnoreGitPaths { get; } = WithUnderscore(new Option<bool>("--ignore-git-paths")
    {
        Description = "Leave out .git, .gitattributes, .github and .gitignore (the default).",
    });

    public Option<bool> NoIgnoreGitPaths { get; } = WithUnderscore(new Option<bool>("--no-ignore-git-paths")
    {
        Description = "Include git-related files.",
    });

    public Option<bool> AllowSymlinks { get; } = WithUnderscore(new Option<bool>("--allow-symlinks")
    {
        Description = "Follow symbolic links to files (otherwise a link is an error).",
    });

    public void AddTo(Command command)
    {
        command.Arguments.Add(ModelPath);
        command.Options.Add(IgnorePaths);
        command.Options.Add(IgnoreGitPaths);
        command.Options.Add(NoIgnoreGitPaths);
        command.Options.Add(AllowSymlinks);
    }

    public static T WithUnderscore<T>(T option)
        where T : Option
    {
        var underscored = option.Name.Replace('-', '_');
        if (underscored.StartsWith("__", StringComparison.Ordinal))
        {
            underscored = "--" + underscored[2..];
        }

        if (underscored != option.Name)
        {
            option.Aliases.Add(underscored);
        }

        return option;
    }

    /// <summary>The model path, which must exist.</summary>
    public static string Model(ParseResult parse, Argument<string> argument)
    {
        var path = parse.GetValue(argument) ?? "";
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new UsageException($"the model path '{path}' does not exist");
        }

        return path;
    }

    public bool GitPaths(ParseResult parse) => !parse.GetValue(NoIgnoreGitPaths);

    /// <summary>
    /// Turns --ignore-paths into model-relative paths. Like the reference, a path is resolved against the current
    /// folder and kept when it lies inside the model; a relative path that does not is read as model-relative.
    /// Paths outside the model are dropped (they cannot be part of it anyway).
    /// </summary>
    public IReadOnlyList<string> ModelRelativeIgnores(ParseResult parse, string model, string currentDirectory, IEnumerable<string>? extra = null)
    {
        var result = new List<string>();
        var root = Path.GetFullPath(model);
        foreach (var p in (parse.GetValue(IgnorePaths) ?? []).Concat(extra ?? []))
        {
            var full = Path.GetFullPath(p, currentDirectory);
            var relative = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (!relative.StartsWith("../", StringComparison.Ordinal) && relative != ".." && !Path.IsPathRooted(relative) && relative != ".")
            {
                result.Add(relative);
            }
            else if (!Path.IsPathRooted(p) && ModelHasher.NormalizeIgnorePath(p) is { } inside)
            {
                result.Add(inside);
            }
        }

        return result;
    }

    public static Func<string, bool> RegularFile { get; } = p => FileKind.Of(p) == FileKindValue.Regular;

    public static SerializationMethod ParseSerialization(string? text) => text?.ToLowerInvariant() switch
    {
        null or "files" => SerializationMethod.Files,
        "shards" => SerializationMethod.Shards,
        _ => throw new UsageException($"--serialization must be files or shards (got '{text}')"),
    };

    public static long ParseShardSize(string? text)
    {
        if (text is null)
        {
            return HashingOptions.DefaultShardSize;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? size
            : throw new UsageException($"--shard-size must be a positive number of bytes (got '{text}')");
    }
}
