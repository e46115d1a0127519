namespace Capstan.Chat.Irc;

/// <summary>
/// IRC host masks: a configured handle with '!' and '@' (<c>bob!*bob@*.example.org</c>) is a glob over the sender's full
/// <c>nick!user@host</c> (<c>*</c> any run, <c>?</c> one character, case-insensitive as IRC compares names).
/// </summary>
public static class IrcMask
{
    public static bool IsPattern(string handle) => handle.Contains('!') && handle.Contains('@');

    public static bool Matches(string pattern, string mask)
    {
        int p = 0, m = 0, star = -1, mark = 0;
        while (m < mask.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Fold(pattern[p]) == Fold(mask[m]))) { p++; m++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = m; }
            else if (star >= 0) { p = star + 1; m = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>RFC 1459 case mapping: letters, and []\~ are the upper case of {}|^.</summary>
    private static char Fold(char c) => c switch { '[' => '{', ']' => '}', '\\' => '|', '~' => '^', _ => char.ToLowerInvariant(c) };
}
