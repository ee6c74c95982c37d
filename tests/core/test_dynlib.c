/* Tests for src/core/dynlib.c: optional libraries loaded on first use. */
#include <math.h>
#include <string.h>

#include "ml2chain/dynlib.h"
#include "test.h"

#define M_FNS(X) X(cos) X(sqrt)
M2C_DYNLIB(m_lib, "libm.so.6", "libc6", M_FNS);

TEST(test_dynlib_load__resolves_functions_once) {
    m2c_err err;
    REQUIRE(m2c_dynlib_load(&m_lib, &err) == M2C_OK);
    REQUIRE(M2C_DYNFN(m_lib, cos) && M2C_DYNFN(m_lib, sqrt));
    CHECK(M2C_DYNFN(m_lib, cos)(0.0) == 1.0);
    CHECK(M2C_DYNFN(m_lib, sqrt)(2.25) == 1.5);
    m_lib_fns[0] = NULL; /* a second call does not load again */
    CHECK(m2c_dynlib_load(&m_lib, &err) == M2C_OK);
    CHECK(m_lib_fns[0] == NULL);
}

TEST(test_dynlib_load__missing_library_or_function_names_what_to_install) {
    static const char *const names[] = {"cos"};
    void *fns[1];
    m2c_dynlib d = {"libm2c-absent.so.9", "m2c-absent9", names, fns, 1, 0, M2C_OK, ""};
    m2c_err err;
    CHECK_EQ_INT(m2c_dynlib_load(&d, &err), M2C_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "cannot load libm2c-absent.so.9") != NULL);
    CHECK(strstr(err.msg, "install the Debian package m2c-absent9") != NULL);
    m2c_err_clear(&err);
    CHECK_EQ_INT(m2c_dynlib_load(&d, &err), M2C_ERR_UNSUPPORTED); /* the same answer again */
    CHECK(strstr(err.msg, "libm2c-absent.so.9") != NULL);

    static const char *const bad[] = {"cos", "m2c_no_such_function"};
    void *fns2[2];
    m2c_dynlib d2 = {"libm.so.6", "libc6", bad, fns2, 2, 0, M2C_OK, ""};
    CHECK_EQ_INT(m2c_dynlib_load(&d2, &err), M2C_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "libm.so.6 has no function m2c_no_such_function") != NULL);
}

TEST_MAIN(T(test_dynlib_load__resolves_functions_once),
          T(test_dynlib_load__missing_library_or_function_names_what_to_install))
