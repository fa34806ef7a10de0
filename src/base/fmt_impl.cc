// {fmt}'s compiled part, built once here instead of in every translation unit.
//
// With FMT_HEADER_ONLY each file that formats anything compiles fmt's whole implementation
// (format-inl.h) again: about 40% of a CLI command file's compile time. Debian's libfmt-dev ships
// only a shared library, and every shared library is paid again at each berth start-up, so the
// implementation is compiled into berth_base instead and the headers are used in their
// "compiled library" mode.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

// The templates format.h declares `extern template` when FMT_HEADER_ONLY is not set.
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl<char>(locale_ref) -> char;
template auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template auto decimal_point_impl<wchar_t>(locale_ref) -> wchar_t;

template void buffer<char>::append(const char*, const char*);
template void vformat_to(buffer<char>&, string_view, basic_format_args<FMT_BUFFER_CONTEXT(char)>,
                         locale_ref);

template auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

}  // namespace detail
FMT_END_NAMESPACE
