using System.Reflection;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Dispatch;

/// <summary>
/// Builds a generated response that says only "this request failed": every field at its default and
/// the root's <c>ErrorCode</c> set, for the versions where the root has one. Found once per response
/// type from its schema descriptor; used for requests refused before they were decoded.
/// </summary>
internal static class TopLevelErrorResponse<TResponse> where TResponse : class
{
    private static readonly FieldDescriptor? ErrorField = FindErrorField();
    private static readonly PropertyInfo? ErrorProperty = ErrorField is null ? null : typeof(TResponse).GetProperty(ErrorField.Name);

    /// <summary>The response, or null when <typeparamref name="TResponse"/> at <paramref name="version"/> has no top-level error code.</summary>
    public static TResponse? Create(short version, ErrorCode error)
    {
        if (ErrorField is null || ErrorProperty is null || !ErrorField.IsPresentIn(version) || ErrorField.IsTagged) return null;
        var response = (TResponse)Activator.CreateInstance(typeof(TResponse))!;
        ErrorProperty.SetValue(response, (short)error);
        return response;
    }

    private static FieldDescriptor? FindErrorField()
    {
        // Only generated messages describe themselves; a hand-made response type simply has no refusal.
        var descriptor = typeof(TResponse).GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageDescriptor;
        return descriptor?.Root.Fields.FirstOrDefault(f => f.Name == "ErrorCode" && f.Type == "int16");
    }
}
