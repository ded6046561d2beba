package patch_test

import (
	"encoding/json"
	"fmt"

	"github.com/scimd/scimd/scim"
	"github.com/scimd/scimd/scim/patch"
)

func ExampleApply() {
	ops := []patch.Operation{
		{Op: patch.Replace, Value: map[string]any{"active": false}},
		{Op: patch.Add, Path: `emails[type eq "work"].value`, Value: "bj@example.com"},
	}
	res, err := patch.Apply(scim.UserResourceType,
		map[string]any{"userName": "bjensen", "active": true}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(res.Doc)
	fmt.Println(string(b))
	fmt.Println(res.Changed)
	// Output:
	// {"active":false,"emails":[{"type":"work","value":"bj@example.com"}],"userName":"bjensen"}
	// [active emails]
}
