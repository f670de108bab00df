@upstream @calico
Feature: Upstream regression cases of calicoctl datastore migrate (C-01 … C-15)
  One scenario per case of ../shared/reference/upstream-cases.md part A, tagged with its id, its data in
  fixtures/upstream/calico/. Each row runs the case with storeshift's migrator or a real calicoctl and
  records a verdict in the report's upstream table: calicoctl rows say whether that release shows the
  bug (and never fail for it); storeshift rows fail if storeshift shows it. A calicoctl release that is
  not here is listed as not run, with the reason. What each case protects against: docs/upstream-calico.md.

  @C-01
  Scenario Outline: C-01 a node's etcd name differs from its Kubernetes name: IPAM and configs follow the rename (<migrator>)
    Given upstream case "C-01" runs with "<migrator>"
    And Calico data from "upstream/calico/c01-node-name-mismatch.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-01" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-02
  Scenario Outline: C-02 IPv6 VXLAN and WireGuard tunnel handles are renamed with their node (<migrator>)
    Given upstream case "C-02" runs with "<migrator>"
    And Calico data from "upstream/calico/c02-ipv6-tunnel-handles.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-02" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-03
  Scenario Outline: C-03 two etcd Nodes that map to one Kubernetes Node are not merged silently (<migrator>)
    Given upstream case "C-03" runs with "<migrator>"
    And Calico data from "upstream/calico/c03-two-nodes-one-name.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-03" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-04
  Scenario Outline: C-04 a node without a usable k8s orchRef: <shape> (<migrator>)
    Given upstream case "C-04" runs with "<migrator>"
    And Calico data from "upstream/calico/<fixture>" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-04" is judged

    Examples:
      | shape                                          | fixture                    | migrator   |
      | the export fails whole                         | c04a-no-k8s-orchref.yaml   | storeshift |
      | the export fails whole                         | c04a-no-k8s-orchref.yaml   | calicoctl  |
      | the skipped node's IPAM is reported as orphaned | c04b-missing-k8s-node.yaml | storeshift |
      | the skipped node's IPAM is reported as orphaned | c04b-missing-k8s-node.yaml | calicoctl  |

  @C-05
  Scenario Outline: C-05 knp.default.* mirrors of Kubernetes NetworkPolicies are not migrated (<migrator>)
    Given upstream case "C-05" runs with "<migrator>"
    And Calico data from "upstream/calico/c05-knp-mirror.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    And the Kubernetes NetworkPolicy "prod/allow-web" admits "role=frontend" to pods "app=web" on TCP 80
    When I try the forward migration
    Then upstream case "C-05" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-06
  Scenario Outline: C-06 every kind etcd holds is migrated or excluded with its reason (<migrator>)
    Given upstream case "C-06" runs with "<migrator>"
    And Calico data from "upstream/calico/c06-kinds.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-06" is judged

    Examples:
      | migrator         |
      | storeshift       |
      | calicoctl        |
      | calicoctl 3.29.0 |
      | calicoctl 3.28.0 |
      | calicoctl 3.15.0 |

  @C-07
  Scenario Outline: C-07 a target that already has Calico's built-in tiers is imported into (<migrator>)
    Given upstream case "C-07" runs with "<migrator>"
    And Calico data from "upstream/calico/c07-builtin-tiers.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    And the Kubernetes datastore already has Calico's built-in tiers
    When I try the forward migration
    Then upstream case "C-07" is judged
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | migrator         |
      | storeshift       |
      | calicoctl        |
      | calicoctl 3.31.0 |

  @C-08
  Scenario Outline: C-08 staged namespaced policies outside "default" are migrated (<migrator>)
    Given upstream case "C-08" runs with "<migrator>"
    And Calico data from "upstream/calico/c08-staged-namespaces.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-08" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-09
  Scenario Outline: C-09 a virtual (LoadBalancer) block affinity is migrated with its block (<migrator>)
    Given upstream case "C-09" runs with "<migrator>"
    And Calico data from "upstream/calico/c09-virtual-affinity.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-09" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-10 @smoke
  Scenario Outline: C-10 values that end a line with "===" survive the export file (<migrator>)
    Given upstream case "C-10" runs with "<migrator>"
    And Calico data from "upstream/calico/c10-delimiter-in-data.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-10" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-11
  Scenario Outline: C-11 an import that fails leaves the target as it found it (<migrator>)
    Given upstream case "C-11" runs with "<migrator>"
    And Calico data from "upstream/calico/c11-no-ipam.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-11" is judged

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-12
  Scenario: C-12 a calicoctl config file that says etcdv3 wins over DATASTORE_TYPE=kubernetes
    Given upstream case "C-12" does not apply to "storeshift", because "storeshift reads no calicoctl.cfg: the datastore is chosen by flag or environment, and storeshift runs calicoctl with a clean environment"
    And upstream case "C-12" runs with "calicoctl"
    And Calico data from "upstream/calico/c12-config-file.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And calicoctl imports the export with a config file that says etcdv3
    Then upstream case "C-12" is judged

  @C-13
  Scenario Outline: C-13 a write to etcd after the export, in the lock window, is reported (<migrator>)
    Given upstream case "C-13" runs with "<migrator>"
    And Calico data from "upstream/calico/c13-lock-window.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And I note every Calico key of etcd "source"
    And Calico data from "upstream/calico/c13-late-write.yaml" is added to etcd "source"
    And I import the export into Kubernetes
    Then upstream case "C-13" is judged
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |

  @C-14
  Scenario Outline: C-14 IPAM attribute fields of v3.32 (releasedAt, alternateOwnerAttrs, no handle) survive (<migrator>)
    Given upstream case "C-14" runs with "<migrator>"
    And Calico data from "upstream/calico/c14-ipam-fields.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I try the forward migration
    Then upstream case "C-14" is judged

    Examples:
      | migrator         |
      | storeshift       |
      | calicoctl        |
      | calicoctl 3.31.0 |

  @C-15 @rollback
  Scenario Outline: C-15 after a rollback etcd is as it was and the residue on Nodes is listed (<migrator>)
    Given upstream case "C-15" runs with "<migrator>"
    And Calico data from "upstream/calico/c15-rollback.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I note every Calico key of etcd "source"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I roll back to etcd
    Then upstream case "C-15" is judged
    And the lock state is etcd "unlocked" and Kubernetes "absent"

    Examples:
      | migrator   |
      | storeshift |
      | calicoctl  |
