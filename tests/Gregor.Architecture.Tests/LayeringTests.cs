using System.Reflection;
using System.Xml.Linq;

namespace Gregor.Architecture.Tests;

/// <summary>
/// DESIGN.md's rule: a dependency points down the list of layers, never up. Checked twice: in the
/// project files (what may be referenced) and in the built assemblies (what is referenced).
/// </summary>
public sealed class LayeringTests
{
    // Each layer and the layers it may use. A layer missing here may use nothing of Gregor's.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Gregor.Protocol"] = [],
        ["Gregor.Net"] = ["Gregor.Protocol"],
        ["Gregor.Storage"] = ["Gregor.Protocol"],
        ["Gregor.Raft"] = ["Gregor.Protocol", "Gregor.Storage", "Gregor.Net"],
        ["Gregor.Metadata"] = ["Gregor.Protocol", "Gregor.Storage", "Gregor.Raft", "Gregor.Net"],
        ["Gregor.Broker"] = ["Gregor.Protocol", "Gregor.Storage", "Gregor.Raft", "Gregor.Metadata", "Gregor.Net"],
        ["Gregor.Client"] = ["Gregor.Protocol", "Gregor.Net"],
        ["Gregor.Cli"] = ["Gregor.Protocol", "Gregor.Storage", "Gregor.Raft", "Gregor.Metadata", "Gregor.Broker", "Gregor.Client", "Gregor.Net"],
    };

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gregor.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Gregor.slnx not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Project_references_point_down_the_layers()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        var violations = new List<string>();
        int checkedProjects = 0;
        foreach (string csproj in Directory.GetFiles(src, "*.csproj", SearchOption.AllDirectories))
        {
            string name = Path.GetFileNameWithoutExtension(csproj);
            if (name.EndsWith(".Generator", StringComparison.Ordinal)) continue; // build-time only
            checkedProjects++;
            var references = XDocument.Load(csproj).Descendants("ProjectReference")
                .Where(r => (string?)r.Attribute("OutputItemType") != "Analyzer")
                .Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!));
            string[] allowed = Allowed.TryGetValue(name, out var a) ? a : [];
            foreach (string reference in references)
                if (!allowed.Contains(reference)) violations.Add($"{name} references {reference}");
        }
        Assert.True(checkedProjects >= 2, "no projects found under " + src);
        Assert.Empty(violations);
    }

    [Fact]
    public void Examples_use_the_client_alone()
    {
        string examples = Path.Combine(RepositoryRoot(), "examples");
        var projects = Directory.GetFiles(examples, "*.csproj", SearchOption.AllDirectories);
        Assert.Equal(3, projects.Length);
        foreach (string csproj in projects)
        {
            var references = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension((string)r.Attribute("Include")!));
            Assert.Equal(["Gregor.Client"], references);
        }
    }

    [Fact]
    public void Built_assemblies_reference_only_lower_layers()
    {
        var assemblies = new[] { "Gregor.Protocol", "Gregor.Net", "Gregor.Storage", "Gregor.Raft", "Gregor.Metadata", "Gregor.Broker", "Gregor.Client" }.Select(n => Assembly.Load(new AssemblyName(n)));
        var violations = new List<string>();
        foreach (Assembly assembly in assemblies)
        {
            string name = assembly.GetName().Name!;
            string[] allowed = Allowed[name];
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                string r = reference.Name!;
                if (r.StartsWith("Gregor.", StringComparison.Ordinal) && !allowed.Contains(r))
                    violations.Add($"{name} references {r}");
            }
        }
        Assert.Empty(violations);
    }
}
