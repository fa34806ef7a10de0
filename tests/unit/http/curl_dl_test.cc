// The libcurl forwarders of src/http/curl_dl.cc: each argument type of the variadic setters
// reaches libcurl intact (a wrong type would make libcurl refuse the option or crash).
#include <curl/curl.h>
#include <dlfcn.h>

#include <string>

#include <gtest/gtest.h>

namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

void lock(CURL*, curl_lock_data, curl_lock_access, void*) {}
void unlock(CURL*, curl_lock_data, void*) {}

TEST(CurlDl, EveryOptionTypeIsForwardedWithItsType) {
  ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  CURL* h = curl_easy_init();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);                // long
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);  // pointer
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard), CURLE_OK);      // function
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t{1} << 40),
            CURLE_OK);  // curl_off_t
  // A value of the right type but out of range is refused by libcurl itself, which shows the
  // value arrived as given.
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_MAXREDIRS, -2L), CURLE_BAD_FUNCTION_ARGUMENT);
  curl_slist* headers = curl_slist_append(nullptr, "Accept: x/y");
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers), CURLE_OK);
  // Port 1 on loopback: nothing listens, so the transfer fails to connect.
  EXPECT_EQ(curl_easy_perform(h), CURLE_COULDNT_CONNECT);
  long code = -1;
  EXPECT_EQ(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
  EXPECT_EQ(code, 0);
  char* url = nullptr;
  EXPECT_EQ(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(std::string(url), "http://127.0.0.1:1/");
  EXPECT_NE(std::string(curl_easy_strerror(CURLE_COULDNT_CONNECT)), "");
  curl_easy_reset(h);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
}

TEST(CurlDl, ShareOptionsAreForwarded) {
  CURLSH* sh = curl_share_init();
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, lock), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, unlock), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(sh, CURLSHOPT_USERDATA, nullptr), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(sh, CURLSHOPT_UNSHARE, CURL_LOCK_DATA_DNS), CURLSHE_OK);
  EXPECT_EQ(curl_share_cleanup(sh), CURLSHE_OK);
}

// Nothing links libcurl (Startup.BerthDoesNotLinkLibcurl checks berth): the first call loads it.
TEST(CurlDl, AFirstCallLoadsLibcurl) {
  curl_easy_strerror(CURLE_OK);
  void* h = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(h, nullptr) << "after a call, libcurl is loaded";
  if (h != nullptr) {
    ::dlclose(h);
  }
}

}  // namespace
