using Microsoft.CodeAnalysis;

namespace Gregor.Protocol.Generator;

[Generator(LanguageNames.CSharp)]
public sealed class MessageGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
