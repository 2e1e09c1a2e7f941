using Rampart.Dependencies.Manifests;
using Rampart.TestKit;

namespace Rampart.Dependencies.Tests.Manifests;

/// <summary>Every file of ../shared/testdata/lockfiles, with the packages (name@version, '-' for none) it must yield.</summary>
public sealed class LockfileCorpusTests
{
    [SharedDataTheory("lockfiles")]
    [InlineData("pipfilelock/testdata/empty.json", ManifestFormat.PipfileLock, "")]
    [InlineData("pipfilelock/testdata/minified.json", ManifestFormat.PipfileLock, "markupsafe@2.1.1")]
    [InlineData("pipfilelock/testdata/multiple-packages.json", ManifestFormat.PipfileLock, "itsdangerous@2.1.2 pluggy@1.0.1 markupsafe@2.1.1 itsdangerous@2.1.2 pluggy@1.0.0")]
    [InlineData("pipfilelock/testdata/no-version.json", ManifestFormat.PipfileLock, "markupsafe@- itsdangerous@-")]
    [InlineData("pipfilelock/testdata/one-package-dev.json", ManifestFormat.PipfileLock, "markupsafe@2.1.1")]
    [InlineData("pipfilelock/testdata/one-package.json", ManifestFormat.PipfileLock, "markupsafe@2.1.1")]
    [InlineData("pipfilelock/testdata/two-packages-alt.json", ManifestFormat.PipfileLock, "itsdangerous@2.1.2 markupsafe@2.1.1")]
    [InlineData("pipfilelock/testdata/two-packages.json", ManifestFormat.PipfileLock, "itsdangerous@2.1.2 markupsafe@2.1.1")]
    [InlineData("pdmlock/testdata/dev-dependency.toml", ManifestFormat.PdmLock, "pyroute2@0.7.11 toml@0.10.2 win-inet-pton@1.1.0")]
    [InlineData("pdmlock/testdata/empty.toml", ManifestFormat.PdmLock, "")]
    [InlineData("pdmlock/testdata/git-dependency.toml", ManifestFormat.PdmLock, "toml@0.10.2")]
    [InlineData("pdmlock/testdata/names-outside-package-block.toml", ManifestFormat.PdmLock, "first-pkg@1.0.0 second-pkg@2.0.0")]
    [InlineData("pdmlock/testdata/optional-dependency.toml", ManifestFormat.PdmLock, "pyroute2@0.7.11 toml@0.10.2 win-inet-pton@1.1.0")]
    [InlineData("pdmlock/testdata/single-package.toml", ManifestFormat.PdmLock, "toml@0.10.2")]
    [InlineData("pdmlock/testdata/two-packages.toml", ManifestFormat.PdmLock, "six@1.16.0 toml@0.10.2")]
    [InlineData("poetrylock/testdata/empty.lock", ManifestFormat.PoetryLock, "")]
    [InlineData("poetrylock/testdata/multiple-packages.v2.lock", ManifestFormat.PoetryLock, "async-timeout@5.0.1 factory-boy@3.3.1 faker@33.3.0 proto-plus@1.22.0 proto-plus@1.23.0 protobuf@4.25.5 python-dateutil@2.9.0.post0 redis@5.2.1 six@1.17.0 typing-extensions@4.12.2 urllib3@2.3.0")]
    [InlineData("poetrylock/testdata/names-outside-package-block.lock", ManifestFormat.PoetryLock, "first-pkg@1.0.0 second-pkg@2.0.0")]
    [InlineData("poetrylock/testdata/one-package-with-metadata.lock", ManifestFormat.PoetryLock, "emoji@2.0.0")]
    [InlineData("poetrylock/testdata/one-package.lock", ManifestFormat.PoetryLock, "numpy@1.23.3")]
    [InlineData("poetrylock/testdata/optional-package.lock", ManifestFormat.PoetryLock, "numpy@1.23.3")]
    [InlineData("poetrylock/testdata/source-git.lock", ManifestFormat.PoetryLock, "ike@0.2.0")]
    [InlineData("poetrylock/testdata/source-legacy.lock", ManifestFormat.PoetryLock, "appdirs@1.4.4")]
    [InlineData("poetrylock/testdata/two-packages.lock", ManifestFormat.PoetryLock, "proto-plus@1.22.0 protobuf@4.21.5")]
    [InlineData("pylock/testdata/commits.toml", ManifestFormat.Pylock, "click@8.2.1 mleroc@0.1.0 net-inf-eval@- packaging@24.2 pathspec@0.12.1 python-dateutil@2.9.0.post0 scikit-learn@1.6.1 tqdm@4.67.1")]
    [InlineData("pylock/testdata/empty.toml", ManifestFormat.Pylock, "")]
    [InlineData("pylock/testdata/example.toml", ManifestFormat.Pylock, "attrs@25.1.0 cattrs@24.1.2 numpy@2.2.3")]
    [InlineData("pylock/testdata/names-outside-package-block.toml", ManifestFormat.Pylock, "first-pkg@1.0.0 second-pkg@2.0.0")]
    [InlineData("pylock/testdata/pdm-full.toml", ManifestFormat.Pylock, "certifi@2025.1.31 chardet@3.0.4 charset-normalizer@2.0.12 colorama@0.3.9 idna@2.7 py@1.4.34 pytest@3.2.5 requests@2.27.1 setuptools@39.2.0 urllib3@1.26.20")]
    [InlineData("pylock/testdata/pip-full.toml", ManifestFormat.Pylock, "annotated-types@0.7.0 packaging@25.0 pyproject-toml@0.1.0 setuptools@80.9.0 wheel@0.45.1")]
    [InlineData("pylock/testdata/pip-just-self.toml", ManifestFormat.Pylock, "hspaans-github-io@-")]
    [InlineData("uvlock/testdata/empty.lock", ManifestFormat.UvLock, "")]
    [InlineData("uvlock/testdata/grouped-packages.lock", ManifestFormat.UvLock, "black@24.10.0 click@8.1.7 colorama@0.4.6 emoji@2.14.0 flake8@7.1.1 mccabe@0.7.0 mypy-extensions@1.0.0 packaging@24.2 pathspec@0.12.1 platformdirs@4.3.6 pycodestyle@2.12.1 pyflakes@3.2.0 tomli@2.2.1 typing-extensions@4.12.2 uv-lockfiles@0.1.0")]
    [InlineData("uvlock/testdata/names-outside-package-block.lock", ManifestFormat.UvLock, "first-pkg@1.0.0 second-pkg@2.0.0")]
    [InlineData("uvlock/testdata/no-dependencies.lock", ManifestFormat.UvLock, "uv-lockfiles@0.1.0")]
    [InlineData("uvlock/testdata/no-packages.lock", ManifestFormat.UvLock, "")]
    [InlineData("uvlock/testdata/one-package.lock", ManifestFormat.UvLock, "emoji@2.14.0 uv-lockfiles@0.1.0")]
    [InlineData("uvlock/testdata/source-git.lock", ManifestFormat.UvLock, "ruff@0.8.1 uv-lockfiles@0.1.0")]
    [InlineData("uvlock/testdata/two-packages.lock", ManifestFormat.UvLock, "emoji@2.14.0 protobuf@4.25.5 uv-lockfiles@0.1.0")]
    [InlineData("pyprojecttoml/testdata/empty_deps.toml", ManifestFormat.Pyproject, "")]
    [InlineData("pyprojecttoml/testdata/env_markers.toml", ManifestFormat.Pyproject, "requests@- importlib-metadata@6.0.0")]
    [InlineData("pyprojecttoml/testdata/extras_syntax.toml", ManifestFormat.Pyproject, "flask@3.1.1 requests@-")]
    [InlineData("pyprojecttoml/testdata/no_project_table.toml", ManifestFormat.Pyproject, "")]
    [InlineData("pyprojecttoml/testdata/optional_deps.toml", ManifestFormat.Pyproject, "requests@2.32.0 pytest@- black@23.1.0 aiohttp@-")]
    [InlineData("pyprojecttoml/testdata/simple_deps.toml", ManifestFormat.Pyproject, "requests@2.32.0 flask@- numpy@-")]
    [InlineData("requirements/testdata/comments.txt", ManifestFormat.Requirements, "PyCrypto@1.2-alpha GMPY2@1 SymPy@1.2 requests@1.0 six@1.2")]
    [InlineData("requirements/testdata/no_version.txt", ManifestFormat.Requirements, "PyCrypto@- GMPY2@- SymPy@-")]
    [InlineData("requirements/testdata/other-requirements.txt", ManifestFormat.Requirements, "pandas@2.2.3")]
    [InlineData("requirements/testdata/extras.txt", ManifestFormat.Requirements, "pyjwt@2.1.0 celery@4.4.7")]
    [InlineData("requirements/testdata/multiline_and_comments.txt", ManifestFormat.Requirements, "pkgA@1.0 pkgB@2.0")]
    [InlineData("requirements/testdata/trailing_backslash.txt", ManifestFormat.Requirements, "pkg1@1.0")]
    [InlineData("requirements/testdata/with_versions.txt", ManifestFormat.Requirements, "nltk@3.2.2 tabulate@0.7.7 newspaper3k@- asdf@- qwerty@0.1 hy-phen@1.2 under_score@1.3 pkg.dot.name@5.0.0 combination-._-.also_-._valid@- yolo@1.0 pkg@-")]
    [InlineData("requirements/testdata/example.txt", ManifestFormat.Requirements, "pytest@- pytest-cov@- beautifulsoup4@- docopt@0.6.1 requests@- urllib3@- keyring@- coverage@- Mopidy-Dirble@- pandas@2.2.3 numpy@1.9.2 wxPython_Phoenix@3.0.3.dev1820+49a8884")]
    public void ReadFile_CorpusFile_YieldsExpectedPackages(string file, ManifestFormat format, string expected)
    {
        var path = Path.Combine(SharedData.Path("lockfiles"), file);
        var result = ManifestReader.ReadFile(format, path, file);
        var actual = string.Join(' ', result.Dependencies.Select(d => $"{d.Name}@{d.Version ?? "-"}"));
        actual.Should().Be(expected);
    }

    [SharedDataTheory("lockfiles")]
    [InlineData("pipfilelock/testdata/empty-file", ManifestFormat.PipfileLock, "empty")]
    [InlineData("pipfilelock/testdata/not-json.txt", ManifestFormat.PipfileLock, "not valid JSON")]
    [InlineData("pdmlock/testdata/empty-file.toml", ManifestFormat.PdmLock, "empty")]
    [InlineData("pdmlock/testdata/not-toml.txt", ManifestFormat.PdmLock, "not valid TOML")]
    [InlineData("poetrylock/testdata/empty-file.lock", ManifestFormat.PoetryLock, "empty")]
    [InlineData("poetrylock/testdata/not-toml.txt", ManifestFormat.PoetryLock, "not valid TOML")]
    [InlineData("pylock/testdata/not-toml.txt", ManifestFormat.Pylock, "not valid TOML")]
    [InlineData("uvlock/testdata/not-toml.txt", ManifestFormat.UvLock, "not valid TOML")]
    [InlineData("pyprojecttoml/testdata/malformed.toml", ManifestFormat.Pyproject, "not valid TOML")]
    [InlineData("pyprojecttoml/testdata/dynamic_deps.toml", ManifestFormat.Pyproject, "dynamic")]
    [InlineData("requirements/testdata/env_var.txt", ManifestFormat.Requirements, "environment variable")]
    [InlineData("requirements/testdata/loop.txt", ManifestFormat.Requirements, "include cycle")]
    public void ReadFile_MalformedByDesign_ClearProblem(string file, ManifestFormat format, string problem)
    {
        var path = Path.Combine(SharedData.Path("lockfiles"), file);
        var result = ManifestReader.ReadFile(format, path, file);
        result.Problems.Should().Contain(p => p.Message.Contains(problem, StringComparison.Ordinal), string.Join("; ", result.Problems));
    }

    [SharedDataFact("lockfiles")]
    public void ReadFile_InvalidRequirements_EveryBadLineReported()
    {
        var result = ManifestReader.ReadFile(ManifestFormat.Requirements, Path.Combine(SharedData.Path("lockfiles"), "requirements/testdata/invalid.txt"), "invalid.txt");
        result.Problems.Select(p => p.Line).Should().Equal(1, 2, 3, 5);
        result.Dependencies.Select(d => (d.Name, d.Origin)).Should().Equal(("urllib3", "url"));
    }

    [SharedDataFact("lockfiles")]
    public void ReadFile_PerRequirementOptions_HashesKeptTextAfterOptionsDropped()
    {
        var result = ManifestReader.ReadFile(ManifestFormat.Requirements, Path.Combine(SharedData.Path("lockfiles"), "requirements/testdata/per_req_options.txt"), "r.txt");
        var byName = result.Dependencies.ToDictionary(d => d.Name);
        byName["foo1"].Hashes.Should().Equal("sha256:123");
        byName["foo8"].Hashes.Should().Equal("sha256:123", "sha256:456");
        byName["foo9"].Hashes.Should().Equal("sha256:123", "sha256:456");
        byName["foo13"].Hashes.Should().Equal("sha256:123");
        byName["foo5"].Marker.Should().Be("python_version < \"2.7\"");
        byName["foo6"].Version.Should().Be("1.0");
        byName.Should().ContainKeys("foo16-Client", "foo17--hash", "foo18-Client");
        // "foo7==1.0 unexpected_text" and "foo10== " are not valid requirements: reported, not guessed.
        result.Problems.Select(p => p.Line).Should().Contain([13, 20, 30]);
        byName.Should().NotContainKeys("foo7", "foo10", "foo15");
    }

    [SharedDataFact("lockfiles")]
    public void ReadFile_Example_IncludesFollowedMissingConstraintReported()
    {
        var result = ManifestReader.ReadFile(ManifestFormat.Requirements, Path.Combine(SharedData.Path("lockfiles"), "requirements/testdata/example.txt"), "req/example.txt");
        result.Dependencies.Single(d => d.Name == "pandas").Source.Should().Be("req/other-requirements.txt");
        result.Problems.Should().ContainSingle(p => p.Message.Contains("'constraints.txt' does not exist", StringComparison.Ordinal));
        result.Dependencies.Single(d => d.Name == "urllib3").Origin.Should().Be("url");
        result.Dependencies.Single(d => d.Name == "numpy").Origin.Should().Be("path");
        result.Dependencies.Single(d => d.Name == "requests").Specifier.Should().Be(">=2.8.1,==2.8.*");
    }
}
